from csvline import join_fields, split_fields


def test_join_plain_fields():
    assert join_fields(["a", "b"]) == "a,b"


def test_join_quotes_fields_with_separator():
    assert join_fields(["x,y", "z"]) == '"x,y",z'


def test_split_simple_line():
    assert split_fields("a,b,c") == ["a", "b", "c"]


def test_split_quoted_field():
    assert split_fields('"x,y",z') == ["x,y", "z"]
