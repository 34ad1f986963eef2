"""Workload for reading_spread: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "sensors.stats:reading_spread"
SCALE = 3000


def make_input(scale):
    rng = random.Random(13)
    return ([rng.randint(-10**6, 10**6) for _ in range(scale * 100)],)

