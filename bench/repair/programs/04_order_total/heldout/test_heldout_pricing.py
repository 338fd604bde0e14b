from pricing import order_total


def test_empty_order_only_shipping():
    assert order_total([]) == 5.0


def test_full_discount_leaves_shipping():
    assert order_total([40.0], coupon_percent=100) == 5.0


def test_quarter_off_large_order():
    assert order_total([20.0, 20.0, 40.0], coupon_percent=25) == 60.0


def test_half_off_small_order():
    assert order_total([12.0, 8.0], coupon_percent=50) == 15.0


def test_exact_threshold_ships_free():
    assert order_total([50.0]) == 50.0
