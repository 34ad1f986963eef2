"""Workload for lib_inflection_underscore: a CamelCase identifier of `scale` words. underscore() is
called on short identifiers in practice (column and attribute names), so the bench measures a
short input with calibrated repeats rather than one huge string, where regex work would hide the
per-call compile lookup."""

import random

TARGET = "inflection:underscore"
SCALE = 3


def make_input(scale):
    rng = random.Random(30)
    words = ["Device", "Type", "HTTP", "Response", "Code", "XML", "Parser", "User", "Id"]
    return ("".join(rng.choice(words) for _ in range(scale)),)
