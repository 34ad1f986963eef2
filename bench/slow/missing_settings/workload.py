"""Workload for missing_settings: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "settings.check:missing_settings"
SCALE = 8000


def make_input(scale):
    rng = random.Random(21)
    settings = {f"k{i}": "v" for i in range(scale)}
    required = [f"k{rng.randrange(scale * 2)}" for _ in range(scale * 100)]
    return settings, required

