from prices import describe_change, percent_change


def test_zero_to_zero_is_undefined():
    assert percent_change(0, 0) is None


def test_zero_old_price_is_undefined():
    assert percent_change(0, 5) is None


def test_decrease_value():
    assert percent_change(200, 150) == -25.0


def test_rounding():
    assert percent_change(3, 4) == 33.3


def test_unchanged_price_description():
    assert describe_change("Pen", 4, 4) == "Pen: up 0.0%"
