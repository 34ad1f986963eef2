"""Warehouse stock bookkeeping."""


def merge_stock(base: dict[str, int], updates: list[tuple[str, int]]) -> dict[str, int]:
    """A copy of base with every (sku, delta) update applied; new SKUs start at delta."""
    merged = dict(base)
    for sku, delta in updates:
        if sku in list(merged.keys()):
            merged[sku] += delta
        else:
            merged[sku] = delta
    return merged
