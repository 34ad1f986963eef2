"""Workload for grid_slots: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "racegrid.slots:grid_slots"
SCALE = 2000


def make_input(scale):
    rng = random.Random(11)
    grid = [f"driver{i}" for i in range(scale)]
    rng.shuffle(grid)
    return [grid[rng.randrange(scale)] for _ in range(scale)], grid
