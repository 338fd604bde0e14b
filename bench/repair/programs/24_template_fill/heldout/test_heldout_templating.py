from templating import fill, missing_fields


def test_repeated_placeholder():
    assert fill("{x}+{x}={y}", {"x": 2, "y": 4}) == "2+2=4"


def test_unused_values_ignored():
    assert fill("{a}{b}", {"a": "1", "b": "2", "c": "3"}) == "12"


def test_numeric_value_formatted():
    assert fill("Total: {amount}", {"amount": 9.5}) == "Total: 9.5"


def test_missing_fields_deduplicated():
    assert missing_fields("{a} {b} {a}", {}) == ["a", "b"]
