"""Workload for merge_stock: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "warehouse.stock:merge_stock"
SCALE = 2500


def make_input(scale):
    rng = random.Random(20)
    base = {f"S{i}": rng.randint(0, 50) for i in range(scale)}
    updates = [(f"S{rng.randrange(scale * 2)}", rng.randint(-5, 5)) for _ in range(scale)]
    return base, updates

