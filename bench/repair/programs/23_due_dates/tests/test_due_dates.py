from datetime import date

from due_dates import days_between, is_overdue, parse_iso


def test_same_day_distance_is_zero():
    assert days_between("2024-03-03", "2024-03-03") == 0


def test_not_overdue_on_due_date():
    assert not is_overdue("2024-01-01", "2024-01-01")


def test_parse_reads_year_month_day():
    assert parse_iso("2024-02-10") == date(2024, 2, 10)


def test_days_between_within_january():
    assert days_between("2024-01-01", "2024-01-31") == 30
