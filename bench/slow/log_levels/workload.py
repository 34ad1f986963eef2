"""Workload for log_levels: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "logscan.levels:count_levels"
SCALE = 8000


def make_input(scale):
    rng = random.Random(9)
    levels = ["INFO", "WARN", "ERROR", "DEBUG"]
    lines = [f"2024-03-{rng.randint(10, 28)} 12:{rng.randint(10, 59)}:00 [{rng.choice(levels)}] message {i}"
             if rng.random() < 0.9 else f"continuation {i}" for i in range(scale * 10)]
    return (lines,)

