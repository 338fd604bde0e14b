import pytest

from grades import letter_grade


def test_high_score_is_a():
    assert letter_grade(97) == "A"


def test_low_score_is_f():
    assert letter_grade(42) == "F"


def test_score_exactly_on_b_cutoff_earns_b():
    assert letter_grade(80) == "B"


def test_out_of_range_score_rejected():
    with pytest.raises(ValueError):
        letter_grade(101)
