"""Scan application logs of the form 'LEVEL message'."""


def line_level(line):
    """The first word of a log line, or '' for a blank line."""
    parts = line.split(maxsplit=1)
    return parts[0] if parts else ""


def error_lines(log_text):
    """1-based numbers of all lines whose level is ERROR."""
    found = []
    for number, line in enumerate(log_text.splitlines(), start=1):
        if line_level(line) == "ERROR":
            found.append(number)
    return found


def level_counts(log_text):
    counts = {}
    for line in log_text.splitlines():
        level = line_level(line)
        if level:
            counts[level] = counts.get(level, 0) + 1
    return counts
