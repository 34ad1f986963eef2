"""Inventory movement summaries."""


def first_seen_skus(events: list[tuple[str, int]]) -> list[str]:
    """SKUs with a positive movement, in the order of their first such movement."""
    order = []
    for sku, qty in events:
        if qty <= 0:
            continue
        if sku in order:
            continue
        order.append(sku)
    return order
