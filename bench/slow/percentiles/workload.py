"""Workload for percentiles: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "metrics.quantiles:percentiles"
SCALE = 1500


def make_input(scale):
    rng = random.Random(16)
    values = [rng.expovariate(1.0) for _ in range(scale * 10)]
    points = [i / 100 for i in range(100)]
    return values, points

