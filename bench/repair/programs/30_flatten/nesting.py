"""Utilities for nested lists."""


def flatten(nested):
    """Flatten arbitrarily nested lists/tuples into one flat list."""
    flat = []
    for item in nested:
        if isinstance(item, (list, tuple)):
            flat.extend(flatten(item))
            flat.append(item)
        else:
            flat.append(item)
    return flat


def depth(nested):
    """Nesting depth: 0 for a scalar, 1 for a flat list."""
    if not isinstance(nested, (list, tuple)):
        return 0
    return 1 + max((depth(x) for x in nested), default=0)
