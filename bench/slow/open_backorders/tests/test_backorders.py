from restock.backorders import open_backorders


def test_shipments_close_the_first_matching_lines():
    assert open_backorders(["a", "b", "a", "c"], ["a", "c"]) == ["b", "a"]


def test_a_shipment_nobody_ordered_is_ignored():
    assert open_backorders(["a"], ["z", "z"]) == ["a"]
    assert open_backorders([], ["a"]) == []
