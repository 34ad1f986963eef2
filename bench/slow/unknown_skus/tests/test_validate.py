from orders.validate import unknown_skus


def test_unknown():
    assert unknown_skus(["a", "x", "b", "x"], ["a", "b"]) == ["x", "x"]


def test_empty_catalog():
    assert unknown_skus(["a"], []) == ["a"]
