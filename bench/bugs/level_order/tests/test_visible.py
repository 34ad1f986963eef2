from traverse import depth_first, level_order, levels

T = {"a": ["b", "c"], "b": ["d", "e"], "c": ["f"]}


def test_depth_first():
    assert depth_first(T, "a") == ["a", "b", "d", "e", "c", "f"]


def test_levels():
    assert levels(T, "a") == [["a"], ["b", "c"], ["d", "e", "f"]]


def test_leaf():
    assert level_order(T, "f") == ["f"]


def test_level_order():
    assert level_order(T, "a") == ["a", "b", "c", "d", "e", "f"]
