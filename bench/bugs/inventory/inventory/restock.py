def restock_plan(stock):
    """{sku: units to order} for items at or below their reorder level, ordering up to reorder_to."""
    plan = {}
    for item in stock:
        if item.quantity <= item.reorder_level:
            needed = item.reorder_level - item.quantity
            if needed > 0:
                plan[item.sku] = needed
    return plan
