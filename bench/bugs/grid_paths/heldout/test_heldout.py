from maze import parse, shortest_path

MAZE = """
.....
.###.
...#.
.#...
"""


def test_winding():
    assert shortest_path(parse(MAZE), (0, 0), (3, 4)) == 7
    assert shortest_path(parse(MAZE), (2, 2), (0, 4)) == 6


def test_symmetric():
    m = parse(MAZE)
    cells = [(r, c) for r in range(4) for c in range(5) if m[r][c] == "."]
    for a in cells[:6]:
        for b in cells:
            assert shortest_path(m, a, b) == shortest_path(m, b, a)
