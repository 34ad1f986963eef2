"""Workload for first_seen_skus: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "inventory.dedupe:first_seen_skus"
SCALE = 3000


def make_input(scale):
    rng = random.Random(4)
    events = [(f"SKU-{rng.randrange(scale)}", rng.randint(-2, 5)) for _ in range(scale * 3)]
    return (events,)

