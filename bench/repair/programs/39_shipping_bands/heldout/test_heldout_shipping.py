import pytest

from shipping import first_at_least, order_shipping, shipping_price


def test_first_at_least_empty():
    assert first_at_least([], 7) == 0


def test_first_at_least_above_everything():
    assert first_at_least([2, 4, 6], 9) == 3


def test_first_at_least_exact_match_with_duplicates():
    assert first_at_least([1, 2, 2, 2, 3], 2) == 1


def test_first_at_least_every_position():
    values = [10, 20, 30, 40, 50, 60, 70]
    for i, v in enumerate(values):
        assert first_at_least(values, v) == i
        assert first_at_least(values, v - 5) == i


@pytest.mark.parametrize(
    "weight,price",
    [(501, 4.75), (1000, 4.75), (2000, 6.20), (2001, 9.90), (9999, 15.00), (10000, 15.00)],
)
def test_band_boundaries(weight, price):
    assert shipping_price(weight) == price


def test_too_heavy_rejected():
    with pytest.raises(ValueError):
        shipping_price(10001)


def test_order_of_heavy_parcels():
    assert order_shipping([6000, 1200, 900]) == 25.95
