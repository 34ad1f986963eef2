"""Order filtering before invoicing."""


def active_orders(orders: list[tuple[int, str, float]], banned_ids: list[int]) -> list[tuple[int, str, float]]:
    """The orders whose customer is not banned, in order."""
    kept = []
    for customer_id, sku, amount in orders:
        if customer_id in banned_ids:
            continue
        kept.append((customer_id, sku, amount))
    return kept
