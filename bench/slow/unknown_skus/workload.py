"""Workload for unknown_skus: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "orders.validate:unknown_skus"
SCALE = 2500


def make_input(scale):
    rng = random.Random(15)
    catalog = [f"SKU{i}" for i in range(scale)]
    lines = [f"SKU{rng.randrange(scale + scale // 10)}" for _ in range(scale)]
    return lines, catalog

