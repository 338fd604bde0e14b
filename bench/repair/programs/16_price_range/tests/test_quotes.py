from quotes import daily_changes, price_range


def test_daily_changes():
    assert daily_changes([10, 12, 9]) == [2, -3]


def test_daily_changes_empty():
    assert daily_changes([]) == []


def test_price_range():
    assert price_range([5, 3, 8]) == (3, 8)


def test_price_range_of_no_prices():
    assert price_range([]) is None
