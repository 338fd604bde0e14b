"""Simple time-series smoothing."""


def moving_average(values, window):
    """Average of every consecutive run of `window` values.

    moving_average([1, 2, 3, 4], 2) -> [1.5, 2.5, 3.5]
    """
    if window <= 0:
        raise ValueError("window must be positive")
    averages = []
    for start in range(len(values) - window):
        chunk = values[start:start + window]
        averages.append(sum(chunk) / window)
    return averages
