from inventory.dedupe import first_seen_skus


def test_order_of_first_positive_movement():
    events = [("b", 0), ("a", 2), ("b", 1), ("a", 5), ("c", -1)]
    assert first_seen_skus(events) == ["a", "b"]


def test_empty():
    assert first_seen_skus([]) == []
