from intervals import merge, total_length


def test_disjoint_stay_apart():
    assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_overlap():
    assert merge([(1, 4), (2, 6)]) == [(1, 6)]


def test_contained():
    assert merge([(1, 10), (3, 4)]) == [(1, 10)]


def test_touching_merge():
    assert merge([(1, 3), (3, 5)]) == [(1, 5)]


def test_empty():
    assert merge([]) == []
