"""Workload for tail_lines: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "logtail.window:tail"
SCALE = 4000


def make_input(scale):
    return [f"line {i}" for i in range(scale * 20)], scale * 5

