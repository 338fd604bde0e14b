import pytest

from brackets import Stack, balanced


def test_push_then_pop_single():
    s = Stack()
    s.push("x")
    assert s.pop() == "x"
    assert len(s) == 0


def test_pop_empty_raises():
    with pytest.raises(IndexError):
        Stack().pop()


def test_simple_pair_balanced():
    assert balanced("()")


def test_mismatched_pair():
    assert not balanced("(]")


def test_pop_returns_most_recent_item():
    s = Stack()
    for item in (1, 2, 3):
        s.push(item)
    assert s.pop() == 3


def test_nested_brackets_balanced():
    assert balanced("([])")
