import pytest

from tokenizer import evaluate_sum, tokenize


def test_empty_and_blank_input():
    assert tokenize("") == []
    assert tokenize("   ") == []


def test_leading_and_trailing_whitespace():
    assert tokenize("  42  ") == [42]


def test_tabs_and_newlines_between_tokens():
    assert tokenize("1\t*\n( 20 - 3 )") == [1, "*", "(", 20, "-", 3, ")"]


def test_multi_digit_numbers_kept_whole():
    assert tokenize("100 / 25") == [100, "/", 25]


def test_bad_character_after_space_rejected():
    with pytest.raises(ValueError):
        tokenize("3 + x")


def test_evaluate_with_runs_of_spaces():
    assert evaluate_sum("  5   +  6 -   1 ") == 10


def test_evaluate_leading_minus():
    assert evaluate_sum("- 8 + 3") == -5


def test_evaluate_rejects_multiplication():
    with pytest.raises(ValueError):
        evaluate_sum("2 * 3")
