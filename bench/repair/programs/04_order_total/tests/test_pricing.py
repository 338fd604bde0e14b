from pricing import order_total


def test_small_order_pays_shipping():
    assert order_total([10.0, 20.0]) == 35.0


def test_large_order_ships_free():
    assert order_total([30.0, 30.0]) == 60.0


def test_coupon_reduces_total():
    assert order_total([100.0], coupon_percent=10) == 90.0


def test_coupon_can_bring_order_under_free_shipping():
    assert order_total([50.0], coupon_percent=20) == 45.0
