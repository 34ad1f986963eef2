from grid import rotate_right, transpose


def test_tall():
    assert transpose([[1], [2], [3]]) == [[1, 2, 3]]


def test_twice_is_identity():
    m = [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert transpose(transpose(m)) == m


def test_rotate():
    assert rotate_right([[1, 2, 3], [4, 5, 6]]) == [[4, 1], [5, 2], [6, 3]]
