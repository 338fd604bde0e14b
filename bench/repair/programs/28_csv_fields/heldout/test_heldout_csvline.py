from csvline import join_fields, split_fields


def test_trailing_empty_field():
    assert split_fields("a,b,") == ["a", "b", ""]


def test_single_field():
    assert split_fields("solo") == ["solo"]


def test_empty_line_is_one_empty_field():
    assert split_fields("") == [""]


def test_custom_separator():
    assert split_fields("1;2;3", sep=";") == ["1", "2", "3"]


def test_round_trip():
    fields = ["name, first", "age", "city"]
    assert split_fields(join_fields(fields)) == fields
