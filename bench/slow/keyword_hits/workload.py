"""Workload for keyword_hits: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "search.keywords:keyword_hits"
SCALE = 800


def make_input(scale):
    rng = random.Random(17)
    words = [f"Word{rng.randrange(5000)}" for _ in range(scale * 50)]
    keywords = [f"word{rng.randrange(9000)}" for _ in range(scale)]
    return " ".join(words), keywords

