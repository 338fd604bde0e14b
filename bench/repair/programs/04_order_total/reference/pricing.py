"""Order pricing with percentage coupons and a flat shipping fee."""

SHIPPING_FEE = 5.0
FREE_SHIPPING_OVER = 50.0


def order_total(prices, coupon_percent=0):
    """Return the amount to pay for a list of item prices.

    The coupon takes a percentage off the subtotal; shipping is added
    unless the discounted subtotal reaches FREE_SHIPPING_OVER.
    """
    subtotal = 0.0
    for price in prices:
        subtotal += price
    subtotal -= subtotal * coupon_percent / 100
    if subtotal < FREE_SHIPPING_OVER:
        subtotal += SHIPPING_FEE
    return round(subtotal, 2)
