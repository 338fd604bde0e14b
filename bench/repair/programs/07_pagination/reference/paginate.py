"""Split a list of items into fixed-size pages."""


def page_count(total_items, per_page):
    """Number of pages needed to show total_items items."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return (total_items + per_page - 1) // per_page


def get_page(items, page, per_page):
    """Return the items on 1-based page number `page`."""
    if page < 1 or page > page_count(len(items), per_page):
        return []
    start = (page - 1) * per_page
    return items[start:start + per_page]
