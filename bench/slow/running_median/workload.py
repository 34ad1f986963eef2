"""Workload for running_median: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "signals.median:running_medians"
SCALE = 1500


def make_input(scale):
    rng = random.Random(27)
    return [rng.randint(0, 1000) for _ in range(scale * 3)], scale // 2

