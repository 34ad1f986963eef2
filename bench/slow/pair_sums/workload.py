"""Workload for pair_sums: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "ledger_match.pairs:matching_pairs"
SCALE = 800


def make_input(scale):
    rng = random.Random(28)
    return ([rng.randint(-scale, scale) for _ in range(scale * 2)],)

