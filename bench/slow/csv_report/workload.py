"""Workload for csv_report: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "reports.text:render_report"
SCALE = 800


def make_input(scale):
    rng = random.Random(6)
    return ([(f"item{i}", rng.randint(1, 50), rng.random() * 20) for i in range(scale * 10)],)

