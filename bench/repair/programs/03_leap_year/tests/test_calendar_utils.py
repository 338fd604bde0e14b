import pytest

from calendar_utils import days_in_month, is_leap_year


def test_century_divisible_by_400_is_leap():
    assert is_leap_year(2000)


def test_plain_century_is_not_leap():
    assert not is_leap_year(1900)


def test_odd_year_is_not_leap():
    assert not is_leap_year(2023)


def test_february_2024_has_29_days():
    assert days_in_month(2024, 2) == 29


def test_invalid_month_rejected():
    with pytest.raises(ValueError):
        days_in_month(2024, 13)
