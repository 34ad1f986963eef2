"""Workload for active_members: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "roster.members:active_names"
SCALE = 15000


def make_input(scale):
    rng = random.Random(41)
    return ([(f"member{i}", rng.random() < 0.7) for i in range(scale * 100)],)
