"""Workload for grid_paths: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "puzzles.grid:count_paths"
SCALE = 12


def make_input(scale):
    return scale, scale, frozenset({(1, 1), (scale // 2, scale // 3)})

