from matrix import identity, multiply, power


def test_identity_is_neutral():
    m = [[2, -1, 0], [4, 3, 7]]
    assert multiply(identity(2), m) == m
    assert multiply(m, identity(3)) == m


def test_fibonacci_power():
    assert power([[1, 1], [1, 0]], 10) == [[89, 55], [55, 34]]


def test_row_times_column():
    assert multiply([[1, 2, 3]], [[4], [5], [6]]) == [[32]]
