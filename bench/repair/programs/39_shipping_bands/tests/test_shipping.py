import pytest

from shipping import first_at_least, order_shipping, shipping_price


def test_light_parcel_is_cheapest_band():
    assert shipping_price(300) == 3.50


def test_parcel_exactly_on_first_limit():
    assert shipping_price(500) == 3.50


def test_zero_weight_rejected():
    with pytest.raises(ValueError):
        shipping_price(0)


def test_first_at_least_below_everything():
    assert first_at_least([10, 20, 30], 5) == 0


def test_medium_parcel_price():
    assert shipping_price(1500) == 6.20


def test_first_at_least_between_items():
    assert first_at_least([1, 3, 5, 7], 6) == 3


def test_order_of_mixed_parcels():
    assert order_shipping([200, 750, 4000]) == 18.15
