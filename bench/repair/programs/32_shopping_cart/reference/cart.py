"""Shopping cart for a small web shop."""


class Cart:
    def __init__(self):
        self.lines = {}

    def add(self, name, price, qty=1):
        if qty <= 0:
            raise ValueError("quantity must be positive")
        if name in self.lines:
            old_price, old_qty = self.lines[name]
            self.lines[name] = (old_price, old_qty + qty)
        else:
            self.lines[name] = (price, qty)

    def remove(self, name):
        self.lines.pop(name, None)

    def item_count(self):
        return sum(qty for _, qty in self.lines.values())

    def total(self):
        amount = 0
        for price, qty in self.lines.values():
            amount += price * qty
        return round(amount, 2)
