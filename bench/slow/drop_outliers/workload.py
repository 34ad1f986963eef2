"""Workload for drop_outliers: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "gauges.cleanup:drop_outliers"
SCALE = 3500


def make_input(scale):
    rng = random.Random(3)
    return [rng.randrange(-scale, scale * 3) for _ in range(scale * 2)], 0, scale
