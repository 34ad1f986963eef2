"""Workload for lint_long_lines: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "linter.length:files_with_long_lines"
SCALE = 2000


def make_input(scale):
    rng = random.Random(33)
    files = {}
    for i in range(scale):
        lines = ["x" * rng.randint(10, 70) for _ in range(500)]
        if rng.random() < 0.8:
            lines[rng.randrange(50)] = "y" * 100
        files[f"mod{i}.py"] = lines
    return files, 79

