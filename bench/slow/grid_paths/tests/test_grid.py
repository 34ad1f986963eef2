from puzzles.grid import count_paths


def test_open_grid():
    assert count_paths(3, 3, frozenset()) == 6


def test_blocked_corner():
    assert count_paths(2, 2, frozenset({(0, 1)})) == 1
