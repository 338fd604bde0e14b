from mailing import normalize_email, unique_emails


def test_normalize_email():
    assert normalize_email("  Ann@Example.COM ") == "ann@example.com"


def test_distinct_addresses_kept():
    assert unique_emails(["a@x.io", "b@x.io"]) == ["a@x.io", "b@x.io"]


def test_duplicate_addresses_removed():
    assert unique_emails(["a@x.io", "a@x.io"]) == ["a@x.io"]
