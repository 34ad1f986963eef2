"""Workload for banned_orders: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "accounts.filters:active_orders"
SCALE = 3000


def make_input(scale):
    rng = random.Random(2)
    orders = [(rng.randrange(scale * 4), f"sku{rng.randrange(500)}", rng.random() * 100) for _ in range(scale * 4)]
    banned = rng.sample(range(scale * 4), scale // 2)
    return orders, banned

