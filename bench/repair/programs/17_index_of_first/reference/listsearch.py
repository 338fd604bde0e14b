"""Search helpers for lists."""


def find_first(items, predicate):
    """Return the first item satisfying predicate, or None."""
    for item in items:
        if predicate(item):
            return item
    return None


def index_of_first(items, predicate):
    """Return the index of the first item satisfying predicate, or -1."""
    for i, item in enumerate(items):
        if predicate(item):
            return i
    return -1
