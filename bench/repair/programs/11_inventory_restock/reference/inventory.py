"""Warehouse stock tracking."""


class Item:
    def __init__(self, sku, quantity, reorder_level, reorder_amount):
        self.sku = sku
        self.quantity = quantity
        self.reorder_level = reorder_level
        self.reorder_amount = reorder_amount


class Inventory:
    def __init__(self):
        self.items = {}

    def add(self, item):
        self.items[item.sku] = item

    def remove_stock(self, sku, count):
        item = self.items[sku]
        if count > item.quantity:
            raise ValueError("not enough stock for %s" % sku)
        item.quantity -= count

    def restock(self):
        """Top up every item at or below its reorder level; return SKUs restocked."""
        restocked = []
        for sku, item in sorted(self.items.items()):
            if item.quantity <= item.reorder_level:
                item.quantity += item.reorder_amount
                restocked.append(sku)
        return restocked
