import pytest

from slots import format_hhmm, slot_labels, time_slots, to_minutes


def test_empty_when_start_equals_end():
    assert time_slots(600, 600, 15) == []


def test_empty_when_start_after_end():
    assert time_slots(700, 600, 15) == []


def test_step_longer_than_window():
    assert time_slots(480, 500, 60) == [480]


def test_uneven_step_keeps_last_slot_before_end():
    assert time_slots(0, 100, 30) == [0, 30, 60, 90]


def test_uneven_step_long_day():
    slots = time_slots(480, 1020, 50)
    assert slots[0] == 480
    assert slots[-1] == 980
    assert len(slots) == 11


def test_twenty_minute_labels_exact_fit():
    assert slot_labels("08:00", "09:00", 20) == ["08:00", "08:20", "08:40"]


def test_seven_minute_labels():
    assert slot_labels("12:00", "12:30", 7) == ["12:00", "12:07", "12:14", "12:21", "12:28"]


def test_negative_step_rejected():
    with pytest.raises(ValueError):
        time_slots(0, 60, -15)


def test_round_trip():
    assert format_hhmm(to_minutes("23:59")) == "23:59"
