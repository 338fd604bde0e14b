from datetime import date

from due_dates import days_between, is_overdue, parse_iso


def test_across_leap_day():
    assert days_between("2024-02-28", "2024-03-01") == 2


def test_negative_distance():
    assert days_between("2024-05-10", "2024-05-01") == -9


def test_overdue_after_due_date():
    assert is_overdue("2024-06-15", "2024-06-20")


def test_not_overdue_before_due_date():
    assert not is_overdue("2024-07-04", "2024-07-01")


def test_end_of_year():
    assert parse_iso("1999-12-31") == date(1999, 12, 31)
