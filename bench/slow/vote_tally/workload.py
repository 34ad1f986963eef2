"""Workload for vote_tally: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "election.tally:tally"
SCALE = 1000


def make_input(scale):
    rng = random.Random(19)
    candidates = [f"cand{i}" for i in range(max(1, scale // 5))]
    ballots = [rng.choice(candidates) for _ in range(scale * 50)]
    return ballots, candidates

