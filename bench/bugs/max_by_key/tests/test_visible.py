from selection import max_by, top_n


def test_empty():
    assert max_by([], len) is None


def test_largest():
    assert max_by(["a", "abc", "ab"], len) == "abc"


def test_first_on_tie():
    assert max_by(["xy", "ab", "c"], len) == "xy"


def test_top_n():
    assert top_n([3, 1, 2], lambda x: x, 2) == [3, 2]
