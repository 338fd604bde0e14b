"""Centre-of-distribution statistics."""


def median(values):
    """Middle value; the mean of the two middle values for even-length input."""
    if not values:
        raise ValueError("median of empty data")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[mid]
    return ordered[mid]


def midrange(values):
    if not values:
        raise ValueError("midrange of empty data")
    return (min(values) + max(values)) / 2
