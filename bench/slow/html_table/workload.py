"""Workload for html_table: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "markup.html:render_table"
SCALE = 150


def make_input(scale):
    rng = random.Random(8)
    columns = [f"c{i}" for i in range(8)]
    rows = [{c: f"v{rng.randrange(100)}&" for c in columns if rng.random() < 0.9} for _ in range(scale * 10)]
    return rows, columns

