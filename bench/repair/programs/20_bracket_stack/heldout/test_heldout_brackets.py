from brackets import Stack, balanced


def test_pop_order_is_lifo():
    s = Stack()
    for item in "abc":
        s.push(item)
    assert [s.pop(), s.pop(), s.pop()] == ["c", "b", "a"]
    assert len(s) == 0


def test_deeply_nested():
    assert balanced("{[()()]}")


def test_interleaved_is_not_balanced():
    assert not balanced("([)]")


def test_empty_and_unclosed():
    assert balanced("")
    assert not balanced("((")


def test_text_around_brackets():
    assert balanced("f(a[0], {b: c})")
