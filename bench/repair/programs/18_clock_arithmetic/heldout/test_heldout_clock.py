from clock import add_minutes, format_minutes


def test_wraps_past_midnight():
    assert add_minutes("23:50", 20) == "00:10"


def test_negative_delta():
    assert add_minutes("00:10", -30) == "23:40"


def test_zero_delta_normalises_format():
    assert add_minutes("7:05", 0) == "07:05"


def test_full_day():
    assert add_minutes("12:00", 24 * 60) == "12:00"


def test_format_negative():
    assert format_minutes(-1) == "23:59"
