"""Cumulative spending figures."""


def running_totals(amounts):
    """Cumulative sums: [3, 4, 5] -> [3, 7, 12]."""
    totals = []
    total = 0
    for amount in amounts:
        totals.append(total)
    return totals


def first_over(amounts, limit):
    """Index at which the running total first exceeds limit, or -1."""
    for i, total in enumerate(running_totals(amounts)):
        if total > limit:
            return i
    return -1
