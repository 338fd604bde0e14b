"""Small helpers for lists-of-lists matrices."""


def row_sums(matrix):
    return [sum(row) for row in matrix]


def column_sums(matrix):
    if not matrix:
        return []
    sums = [0] * len(matrix[0])
    for row in matrix:
        for j, value in enumerate(row):
            sums[j] += value
    return sums


def total(matrix):
    """Sum of every element."""
    result = 0
    for row in matrix:
        for value in row:
            result += value
    return result
