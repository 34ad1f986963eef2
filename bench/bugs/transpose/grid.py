"""Rectangular grids of cells (lists of rows)."""


def transpose(m):
    rows = len(m)
    cols = len(m[0]) if m else 0
    return [[m[r][c] for r in range(cols)] for c in range(cols)]


def rotate_right(m):
    """Rotate the grid 90 degrees clockwise."""
    return [list(reversed(col)) for col in transpose(m)]


def column(m, c):
    return [row[c] for row in m]
