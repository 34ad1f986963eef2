"""Workload for cheapest_offer: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "shop.offers:cheapest_offer"
SCALE = 3000


def make_input(scale):
    rng = random.Random(14)
    return ([(f"seller{i}", round(rng.random() * 100, 2)) for i in range(scale * 60)],)

