import pytest

from inventory import Inventory, Item


def make_inventory():
    inv = Inventory()
    inv.add(Item("bolt", 3, reorder_level=5, reorder_amount=50))
    inv.add(Item("nut", 40, reorder_level=10, reorder_amount=100))
    return inv


def test_remove_stock():
    inv = make_inventory()
    inv.remove_stock("nut", 15)
    assert inv.items["nut"].quantity == 25


def test_remove_too_much_raises():
    inv = make_inventory()
    with pytest.raises(ValueError):
        inv.remove_stock("bolt", 4)


def test_restock_reports_low_items():
    assert make_inventory().restock() == ["bolt"]


def test_restock_adds_reorder_amount():
    inv = make_inventory()
    inv.restock()
    assert inv.items["bolt"].quantity == 53
