import pytest

from clock import add_minutes, format_minutes, to_minutes


def test_to_minutes():
    assert to_minutes("01:30") == 90


def test_format_minutes():
    assert format_minutes(615) == "10:15"


def test_invalid_time_rejected():
    with pytest.raises(ValueError):
        to_minutes("25:00")


def test_add_minutes_gives_clock_time():
    assert add_minutes("09:30", 45) == "10:15"
