"""Workload for image_files: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "media.scan:image_files"
SCALE = 10000


def make_input(scale):
    rng = random.Random(22)
    exts = [".txt", ".md", ".py", ".PNG", ".jpg", ".csv", ".html", ".json", ".heic", ""]
    return ([f"dir/file{i}{rng.choice(exts)}" for i in range(scale * 40)],)

