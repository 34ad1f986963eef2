from inventory.items import Stock, StockItem
from inventory.restock import restock_plan


def test_at_level_reorders():
    s = Stock([StockItem("C", "cheese", 400, 4, reorder_level=4, reorder_to=10)])
    assert restock_plan(s) == {"C": 6}


def test_after_take():
    s = Stock([StockItem("A", "a", 1, 9, reorder_level=5, reorder_to=15),
               StockItem("B", "b", 1, 1, reorder_level=0, reorder_to=3)])
    s.take("A", 6)
    s.take("B", 1)
    assert restock_plan(s) == {"A": 12, "B": 3}


def test_nothing_when_full():
    s = Stock([StockItem("D", "d", 1, 50, reorder_level=5, reorder_to=40)])
    assert restock_plan(s) == {}
