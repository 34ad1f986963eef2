"""Workload for bfs_hops: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "network.bfs:shortest_hops"
SCALE = 4000


def make_input(scale):
    rng = random.Random(11)
    n = scale * 20
    adjacency = {i: [rng.randrange(n) for _ in range(4)] for i in range(n)}
    return adjacency, 0

