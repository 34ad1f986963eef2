"""Workload for repeated_words: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "proofread.repeats:repeated_words"
SCALE = 2500


def make_input(scale):
    rng = random.Random(18)
    return ([f"w{rng.randrange(scale * 2)}" for _ in range(scale)],)

