"""Mailing-list hygiene."""


def normalize_email(email):
    return email.strip().lower()


def unique_emails(emails):
    """Normalized emails with duplicates removed, first-seen order kept."""
    seen = set()
    result = []
    for email in emails:
        key = normalize_email(email)
        if key in seen:
            continue
        seen.add(key)
        result.append(key)
    return result
