"""Workload for merge_meetings: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "calendar_tools.merge:merge_busy"
SCALE = 400


def make_input(scale):
    rng = random.Random(25)
    slots = []
    for _ in range(scale):
        start = rng.randrange(scale * 40)
        slots.append((start, start + rng.randint(0, 30)))
    return (slots,)

