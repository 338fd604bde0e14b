import pytest

from grades import grade_report, letter_grade


@pytest.mark.parametrize("score,expected", [(90, "A"), (70, "C"), (60, "D"), (100, "A")])
def test_cutoff_boundaries(score, expected):
    assert letter_grade(score) == expected


def test_just_below_cutoffs():
    assert letter_grade(89.5) == "B"
    assert letter_grade(59) == "F"


def test_zero_is_f():
    assert letter_grade(0) == "F"


def test_grade_report_respects_boundaries():
    assert grade_report({"ann": 70, "bob": 85, "cy": 20}) == {"ann": "C", "bob": "B", "cy": "F"}


def test_negative_score_rejected():
    with pytest.raises(ValueError):
        letter_grade(-1)
