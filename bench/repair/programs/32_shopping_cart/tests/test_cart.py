import pytest

from cart import Cart


def test_item_count_merges_lines():
    cart = Cart()
    cart.add("pen", 2, 2)
    cart.add("pen", 2, 1)
    assert cart.item_count() == 3


def test_total_whole_prices():
    cart = Cart()
    cart.add("pen", 2, 3)
    cart.add("pad", 4)
    assert cart.total() == 10


def test_invalid_quantity():
    with pytest.raises(ValueError):
        Cart().add("pen", 2, 0)


def test_total_with_cents():
    cart = Cart()
    cart.add("tea", 2.50, 2)
    cart.add("jam", 1.25)
    assert cart.total() == 6.25
