"""Order validation."""


def unknown_skus(order_lines: list[str], catalog: list[str]) -> list[str]:
    """The SKUs of order lines that the catalog does not list, in order."""
    return [sku for sku in order_lines if sku not in set(catalog)]
