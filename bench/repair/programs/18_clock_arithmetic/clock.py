"""24-hour clock arithmetic on 'HH:MM' strings."""


def to_minutes(hhmm):
    hours, minutes = hhmm.split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError("bad time: %s" % hhmm)
    return h * 60 + m


def format_minutes(total):
    total %= 24 * 60
    return "%02d:%02d" % divmod(total, 60)


def add_minutes(hhmm, delta):
    """Time `delta` minutes after hhmm, wrapping around midnight."""
    return to_minutes(hhmm) + delta
