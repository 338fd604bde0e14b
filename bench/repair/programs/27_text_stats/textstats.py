"""Word-count style statistics, similar to the Unix wc tool."""


def text_stats(text):
    """Return (lines, words, characters) for text."""
    lines = 0
    words = 0
    for line in text.splitlines():
        words += len(line.split())
    return lines, words, len(text)


def longest_line(text):
    """Length of the longest line (without its newline)."""
    return max((len(line) for line in text.splitlines()), default=0)
