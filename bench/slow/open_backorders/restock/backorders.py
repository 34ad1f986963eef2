"""Back-orders of the warehouse."""


def open_backorders(ordered: list[str], shipped: list[str]) -> list[str]:
    """The ordered SKUs still open: each shipped SKU closes the first open order line for it."""
    left = list(ordered)
    for sku in shipped:
        if sku in left:
            left.remove(sku)
    return left
