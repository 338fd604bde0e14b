from quotes import price_range


def test_single_price():
    assert price_range([4]) == (4, 4)


def test_empty_tuple():
    assert price_range(()) is None


def test_negative_prices():
    assert price_range([-1, -5, 2]) == (-5, 2)


def test_flat_prices():
    assert price_range([2.5, 2.5]) == (2.5, 2.5)
