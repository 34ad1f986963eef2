"""Workload for even_squares: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "numeric.squares:squares_of_evens"
SCALE = 8000


def make_input(scale):
    rng = random.Random(23)
    return ([rng.randint(-1000, 1000) for _ in range(scale * 100)],)

