"""Minimal CSV line handling with double-quoted fields."""


def split_fields(line, sep=","):
    """Split one CSV line; separators inside double quotes are kept."""
    fields = []
    current = ""
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == sep and not in_quotes:
            fields.append(current)
            current = ""
        else:
            current += ch
    fields.append(current)
    return fields


def join_fields(fields, sep=","):
    """Inverse of split_fields for fields without double quotes."""
    return sep.join('"%s"' % f if sep in f else f for f in fields)
