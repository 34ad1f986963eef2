"""Workload for polib_unescape: a long msgstr (as read from a .po file) with escapes every few
characters, 2000 characters per scale step."""

import random

TARGET = "polib:unescape"
SCALE = 40


def make_input(scale):
    rng = random.Random(5)
    pieces = ["\\n", "\\t", "\\\"", "\\\\", "\\r", "abc", "déf", " ", "\\v", "x\\", "\\b", "\\f"]
    text = "".join(rng.choice(pieces) for _ in range(700 * scale))
    return (text,)


def edge_inputs():
    for text in ["", "\\", "\\\\n", "\\q", "plain", "\\\"\\\"", "é\\n"]:
        yield (text,)
