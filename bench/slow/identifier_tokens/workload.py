"""Workload for identifier_tokens: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "lexer.tokens:tokenize_lines"
SCALE = 3000


def make_input(scale):
    rng = random.Random(10)
    lines = [f"v{i} = f(a{rng.randrange(99)}, {rng.randrange(1000)}) + b" for i in range(scale * 10)]
    return (lines,)

