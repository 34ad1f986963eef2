"""Workload for reachable_nodes: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "graphs.walk:reachable"
SCALE = 3000


def make_input(scale):
    rng = random.Random(5)
    edges = {i: [rng.randrange(scale) for _ in range(3)] for i in range(scale)}
    return edges, 0

