"""Workload for csv_export: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "exporter.csvout:to_csv"
SCALE = 800


def make_input(scale):
    rng = random.Random(7)
    header = ["id", "name", "city", "note"]
    records = [[str(i), f"n{rng.randrange(999)}", "Zürich", 'x"y'] for i in range(scale * 10)]
    return header, records

