"""Workload for texttable_draw_line: one row of 8 columns whose cells hold 20 * scale short
lines each (a log excerpt in a table), drawn with borders after the table's widths are set."""

import random

import texttable

TARGET = "texttable:Texttable._draw_line"
SCALE = 10


def make_input(scale):
    rng = random.Random(3)
    words = ["ok", "warn", "ERROR", "disk", "é", "12.5", "net", "cpu"]
    row = ["\n".join(" ".join(rng.choice(words) for _ in range(2)) for _ in range(20 * scale + c)) for c in range(8)]
    table = texttable.Texttable(max_width=0)
    table.set_cols_align(["l", "r", "c", "l", "r", "c", "l", "r"])
    table.set_cols_valign(["t", "m", "b", "t", "m", "b", "t", "m"])
    table.add_row(row)
    table._width = table._compute_cols_width()
    table._check_align()
    return (table, table._rows[0])
