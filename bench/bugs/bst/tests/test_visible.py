from tree import build, contains, height, in_order


def test_sorted_output():
    assert in_order(build([5, 2, 8, 2, 1])) == [1, 2, 5, 8]


def test_contains():
    t = build([5, 2, 8])
    assert contains(t, 8) and not contains(t, 3)


def test_empty_height():
    assert height(None) == 0


def test_height():
    assert height(build([2, 1, 3])) == 2
