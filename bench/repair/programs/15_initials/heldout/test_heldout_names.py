from names import initials, short_label


def test_short_label_for_missing_name():
    assert short_label(None) == ""


def test_blank_name():
    assert initials("   ") == ""


def test_extra_spaces_between_parts():
    assert initials("grace  brewer hopper") == "GBH"


def test_non_ascii_name():
    assert initials("\u00e9mile zola") == "\u00c9Z"
