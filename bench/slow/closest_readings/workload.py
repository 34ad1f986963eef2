"""Workload for closest_readings: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "telemetry.pairs:closest_gap"
SCALE = 1000


def make_input(scale):
    rng = random.Random(24)
    return ([rng.randint(-10**9, 10**9) for _ in range(scale)],)

