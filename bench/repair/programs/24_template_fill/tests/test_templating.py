from templating import fill, missing_fields


def test_missing_fields():
    assert missing_fields("Hi {name}, order {id}", {"name": "x"}) == ["id"]


def test_template_without_fields_unchanged():
    assert fill("no fields here", {}) == "no fields here"


def test_fill_greeting():
    assert fill("Hello {name}!", {"name": "Ada"}) == "Hello Ada!"
