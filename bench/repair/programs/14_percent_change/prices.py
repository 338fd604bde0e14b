"""Price change reporting."""


def percent_change(old, new):
    """Percentage change from old to new, rounded to 1 decimal.

    Returns None when the old price is zero (change is undefined).
    """
    return round((new - old) / old * 100, 1)


def describe_change(name, old, new):
    change = percent_change(old, new)
    if change is None:
        return "%s: new listing" % name
    direction = "up" if change >= 0 else "down"
    return "%s: %s %.1f%%" % (name, direction, abs(change))
