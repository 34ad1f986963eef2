"""Workload for texttable_len_cell: a cell of 40 * scale lines, each with many tab-separated
short fields (tab stops make the width depend on every part)."""

import random

import texttable

TARGET = "texttable:Texttable._len_cell"
SCALE = 10


def make_input(scale):
    rng = random.Random(21)
    lines = ["\t".join(rng.choice(["a", "bb", "ccc", "漢", ""]) for _ in range(30)) for _ in range(40 * scale)]
    return (texttable.Texttable(), "\n".join(lines))


def edge_inputs():
    for cell in ["", "\t", "a\tb\nccc", "\n\n", "漢字\t"]:
        yield (texttable.Texttable(), cell)
