"""Formatting people's names."""


def initials(full_name):
    """Upper-case initials, e.g. 'ada king lovelace' -> 'AKL'.

    None or blank names give an empty string.
    """
    return "".join(part[0].upper() for part in full_name.split())


def short_label(full_name, max_len=3):
    """Initials truncated to max_len characters, for avatar badges."""
    return initials(full_name)[:max_len]
