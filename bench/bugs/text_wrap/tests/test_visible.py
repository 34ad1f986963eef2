from wrap import fill, wrap


def test_empty():
    assert wrap("", 10) == []


def test_short_fits():
    assert wrap("one two", 20) == ["one two"]


def test_breaks():
    assert wrap("aaa bbb ccc", 5) == ["aaa", "bbb", "ccc"]


def test_exact_width_fits():
    assert wrap("abcd efgh ij", 9) == ["abcd efgh", "ij"]


def test_fill():
    assert fill("a b", 1) == "a\nb"
