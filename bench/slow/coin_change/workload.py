"""Workload for coin_change: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

TARGET = "till.change:ways_to_pay"
SCALE = 120


def make_input(scale):
    return scale, (1, 2, 5, 10, 20, 50)
