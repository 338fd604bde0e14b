from cart import Cart


def test_cents_multiplied():
    cart = Cart()
    cart.add("gum", 0.99, 3)
    assert cart.total() == 2.97


def test_empty_cart():
    assert Cart().total() == 0


def test_total_after_remove():
    cart = Cart()
    cart.add("tea", 3.75)
    cart.add("mug", 8.40)
    cart.remove("tea")
    assert cart.total() == 8.4


def test_first_price_kept_on_merge():
    cart = Cart()
    cart.add("a", 1.5)
    cart.add("a", 9.0)
    assert cart.total() == 3.0
