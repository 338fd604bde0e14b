"""Summaries of a stock's closing prices."""


def daily_changes(prices):
    """Difference between each closing price and the previous one."""
    return [later - earlier for earlier, later in zip(prices, prices[1:])]


def price_range(prices):
    """(lowest, highest) closing price, or None when there are no prices."""
    if not prices:
        return None
    low = high = prices[0]
    for price in prices[1:]:
        low = min(low, price)
        high = max(high, price)
    return (low, high)
