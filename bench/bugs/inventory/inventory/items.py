from dataclasses import dataclass


@dataclass
class StockItem:
    sku: str
    name: str
    unit_cents: int
    quantity: int
    reorder_level: int = 0
    reorder_to: int = 0


class Stock:
    def __init__(self, items=()):
        self._items = {item.sku: item for item in items}

    def add(self, item):
        if item.sku in self._items:
            raise KeyError(f"duplicate sku {item.sku}")
        self._items[item.sku] = item

    def get(self, sku):
        return self._items[sku]

    def take(self, sku, count):
        item = self._items[sku]
        if count > item.quantity:
            raise ValueError(f"only {item.quantity} of {sku} left")
        item.quantity -= count

    def __iter__(self):
        return iter(sorted(self._items.values(), key=lambda i: i.sku))
