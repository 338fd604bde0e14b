"""Parcel shipping prices by weight band."""

# Upper weight limit of each band in grams (inclusive), and the band's price.
LIMITS = [500, 1000, 2000, 5000, 10000]
PRICES = [3.50, 4.75, 6.20, 9.90, 15.00]


def first_at_least(values, x):
    """Index of the first item of sorted `values` that is >= x, or len(values) if none is."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < x:
            lo = mid
        else:
            hi = mid
    return lo


def shipping_price(weight):
    """Price of shipping a parcel of `weight` grams."""
    if weight <= 0:
        raise ValueError("weight must be positive: %r" % weight)
    band = first_at_least(LIMITS, weight)
    if band == len(LIMITS):
        raise ValueError("parcel too heavy: %r g" % weight)
    return PRICES[band]


def order_shipping(weights):
    """Total shipping for several parcels."""
    return round(sum(shipping_price(w) for w in weights), 2)
