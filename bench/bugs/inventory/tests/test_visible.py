import pytest

from inventory.items import Stock, StockItem
from inventory.pricing import stock_value, with_tax
from inventory.restock import restock_plan


def make():
    return Stock([StockItem("A1", "apples", 50, 10, reorder_level=5, reorder_to=20),
                  StockItem("B2", "bread", 250, 2, reorder_level=3, reorder_to=12)])


def test_value():
    assert stock_value(make()) == 50 * 10 + 250 * 2


def test_tax():
    assert with_tax(1000) == 1190
    assert with_tax(1000, "food") == 1070


def test_take_too_many():
    with pytest.raises(ValueError):
        make().take("B2", 3)


def test_restock():
    assert restock_plan(make()) == {"B2": 10}
