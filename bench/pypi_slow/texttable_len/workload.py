"""Workload for texttable_len: the display width of a long mixed-script cell text (latin, CJK
wide characters, combining accents), 5000 characters per scale step."""

import random

TARGET = "texttable:len"
SCALE = 20


def make_input(scale):
    rng = random.Random(9)
    alphabet = "abc de\u0301f 漢字カナ ÅÉ 12\t"
    return ("".join(rng.choice(alphabet) for _ in range(5000 * scale)),)


def edge_inputs():
    for value in ["", "漢", "e\u0301", b"bytes", [1, 2, 3], (), "\t"]:
        yield (value,)
