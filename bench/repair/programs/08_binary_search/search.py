"""Binary search over a sorted list."""


def binary_search(items, target):
    """Index of target in sorted `items`, or -1 if absent."""
    lo, hi = 0, len(items)
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def contains(items, target):
    return binary_search(items, target) != -1
