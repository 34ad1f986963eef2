"""Workload for round_robin: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "jobs.spooler:round_robin"
SCALE = 6000


def make_input(scale):
    rng = random.Random(12)
    return [(f"job{i}", rng.randint(1, 6)) for i in range(scale * 5)], 2

