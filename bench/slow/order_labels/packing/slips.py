"""Packing slips."""


def label_orders(orders: list[tuple[int, str]], customers: list[tuple[int, str]]) -> list[str]:
    """One label per order and customer with the same customer id, orders first, then customers, in order."""
    labels = []
    for order in orders:
        for customer in customers:
            if order[0] == customer[0]:
                labels.append(f"{customer[1]}: {order[1]}")
    return labels
