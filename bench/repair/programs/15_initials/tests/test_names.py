from names import initials, short_label


def test_two_part_name():
    assert initials("ada lovelace") == "AL"


def test_empty_name():
    assert initials("") == ""


def test_short_label_truncates():
    assert short_label("a b c d") == "ABC"


def test_missing_name_gives_empty_initials():
    assert initials(None) == ""
