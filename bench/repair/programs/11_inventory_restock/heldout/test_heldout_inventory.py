from inventory import Inventory, Item


def test_item_at_reorder_level_is_topped_up():
    inv = Inventory()
    inv.add(Item("gear", 10, reorder_level=10, reorder_amount=25))
    assert inv.restock() == ["gear"]
    assert inv.items["gear"].quantity == 35


def test_zero_level_empty_item():
    inv = Inventory()
    inv.add(Item("pin", 0, reorder_level=0, reorder_amount=12))
    inv.restock()
    assert inv.items["pin"].quantity == 12


def test_well_stocked_item_untouched():
    inv = Inventory()
    inv.add(Item("cog", 99, reorder_level=5, reorder_amount=7))
    assert inv.restock() == []
    assert inv.items["cog"].quantity == 99


def test_restock_after_sales():
    inv = Inventory()
    inv.add(Item("b", 20, reorder_level=8, reorder_amount=30))
    inv.add(Item("a", 9, reorder_level=8, reorder_amount=4))
    inv.remove_stock("b", 15)
    inv.remove_stock("a", 2)
    assert inv.restock() == ["a", "b"]
    assert (inv.items["a"].quantity, inv.items["b"].quantity) == (11, 35)
