import pytest

from tokenizer import evaluate_sum, tokenize


def test_compact_expression():
    assert tokenize("12+3") == [12, "+", 3]


def test_parentheses_and_operators():
    assert tokenize("(4*5)/2") == ["(", 4, "*", 5, ")", "/", 2]


def test_unknown_character_rejected():
    with pytest.raises(ValueError):
        tokenize("2^3")


def test_spaced_expression():
    assert tokenize("12 + 3") == [12, "+", 3]


def test_evaluate_compact_sum():
    assert evaluate_sum("10-4+1") == 7


def test_evaluate_spaced_sum():
    assert evaluate_sum("7 - 2 + 30") == 35
