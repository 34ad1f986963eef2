from search import contains, find


def test_middle():
    assert find([1, 3, 5, 7, 9], 5) == 2


def test_absent():
    assert find([1, 3, 5, 7, 9], 4) == -1


def test_empty():
    assert find([], 3) == -1


def test_last():
    assert find([1, 3, 5, 7, 9], 9) == 4


def test_contains():
    assert contains([2, 4, 6], 4)
