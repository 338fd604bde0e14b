from mailing import unique_emails


def test_case_and_whitespace_duplicates():
    assert unique_emails(["Bo@X.io", "bo@x.io", " BO@x.io "]) == ["bo@x.io"]


def test_empty_list():
    assert unique_emails([]) == []


def test_first_seen_order_kept():
    assert unique_emails(["c@x", "a@x", "c@x", "b@x"]) == ["c@x", "a@x", "b@x"]


def test_triple_duplicate():
    assert unique_emails(["z@q", "z@q", "z@q"]) == ["z@q"]
