from packing.slips import label_orders


def test_each_order_gets_its_customers_name():
    assert label_orders([(1, "tea"), (2, "cups")], [(2, "Bo"), (1, "Al")]) == ["Al: tea", "Bo: cups"]


def test_unknown_customer_and_shared_ids():
    assert label_orders([(3, "pot")], [(1, "Al")]) == []
    assert label_orders([(1, "x")], [(1, "Al"), (1, "Ann")]) == ["Al: x", "Ann: x"]
