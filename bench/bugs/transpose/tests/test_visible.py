from grid import column, rotate_right, transpose


def test_empty():
    assert transpose([]) == []


def test_square():
    assert transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]


def test_wide():
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_column():
    assert column([[1, 2], [3, 4]], 1) == [2, 4]
