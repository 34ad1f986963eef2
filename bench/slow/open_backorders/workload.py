"""Workload for open_backorders: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "restock.backorders:open_backorders"
SCALE = 600


def make_input(scale):
    rng = random.Random(7)
    ordered = [f"sku{rng.randrange(scale)}" for _ in range(scale * 4)]
    shipped = [f"sku{rng.randrange(scale * 2)}" for _ in range(scale * 3)]
    return ordered, shipped
