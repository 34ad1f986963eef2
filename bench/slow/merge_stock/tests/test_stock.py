from warehouse.stock import merge_stock


def test_merge():
    assert merge_stock({"a": 1}, [("a", 2), ("b", -1)]) == {"a": 3, "b": -1}


def test_base_untouched():
    base = {"a": 1}
    merge_stock(base, [("a", 5)])
    assert base == {"a": 1}
