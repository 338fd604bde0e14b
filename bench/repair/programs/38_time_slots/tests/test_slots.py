import pytest

from slots import format_hhmm, slot_labels, time_slots, to_minutes


def test_to_minutes():
    assert to_minutes("09:30") == 570


def test_format_hhmm():
    assert format_hhmm(545) == "09:05"


def test_half_hour_slots():
    assert time_slots(540, 660, 30) == [540, 570, 600, 630]


def test_zero_step_rejected():
    with pytest.raises(ValueError):
        time_slots(540, 600, 0)


def test_slots_when_step_does_not_divide_the_day():
    assert time_slots(540, 600, 25) == [540, 565, 590]


def test_forty_minute_labels():
    assert slot_labels("09:00", "11:00", 40) == ["09:00", "09:40", "10:20"]


def test_forty_five_minute_labels():
    assert slot_labels("13:00", "14:00", 45) == ["13:00", "13:45"]
