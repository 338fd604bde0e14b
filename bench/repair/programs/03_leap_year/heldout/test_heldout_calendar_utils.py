from calendar_utils import day_of_year, days_in_month, is_leap_year


def test_ordinary_leap_years():
    assert is_leap_year(1996)
    assert is_leap_year(2028)


def test_century_rules():
    assert is_leap_year(2400)
    assert not is_leap_year(2100)


def test_day_of_year_after_leap_february():
    assert day_of_year(2024, 3, 1) == 61
    assert day_of_year(2023, 3, 1) == 60


def test_other_month_lengths():
    assert days_in_month(2023, 2) == 28
    assert days_in_month(2024, 4) == 30
    assert days_in_month(2024, 12) == 31
