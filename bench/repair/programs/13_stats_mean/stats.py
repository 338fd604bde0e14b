"""Descriptive statistics for lists of numbers."""


def mean(values):
    """Arithmetic mean; an empty list has mean 0.0."""
    return sum(values) / len(values)


def variance(values):
    """Population variance; 0.0 for empty input."""
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values) if values else 0.0


def summary(values):
    return {"mean": mean(values), "variance": variance(values), "count": len(values)}
