"""Workload for order_labels: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "packing.slips:label_orders"
SCALE = 1300


def make_input(scale):
    rng = random.Random(5)
    customers = [(rng.randrange(scale * 2), f"customer{i}") for i in range(scale)]
    orders = [(rng.randrange(scale * 2), f"sku{rng.randrange(900)}") for _ in range(scale)]
    return orders, customers
