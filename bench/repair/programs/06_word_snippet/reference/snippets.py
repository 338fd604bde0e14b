"""Helpers for building search-result snippets."""


def last_words(text, n):
    """Return the last `n` words of `text` joined by single spaces."""
    words = text.split()
    if n <= 0:
        return ""
    return " ".join(words[-n:])


def first_words(text, n):
    """Return the first `n` words of `text` joined by single spaces."""
    words = text.split()
    return " ".join(words[:n])


def snippet(text, n):
    """First n words followed by an ellipsis when the text was cut."""
    words = text.split()
    if len(words) <= n:
        return " ".join(words)
    return first_words(text, n) + " ..."
