"""Due-date helpers for a library loan system."""

from datetime import date


def parse_iso(text):
    """Parse 'YYYY-MM-DD' into a date."""
    year, month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def days_between(start, end):
    """Days from start to end (ISO strings); negative when end is earlier."""
    return (parse_iso(end) - parse_iso(start)).days


def is_overdue(due, today):
    return days_between(due, today) > 0
