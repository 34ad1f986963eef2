from accounts.filters import active_orders


def test_banned_customers_are_dropped():
    orders = [(1, "a", 2.0), (2, "b", 3.5), (1, "c", 1.0)]
    assert active_orders(orders, [1]) == [(2, "b", 3.5)]


def test_nothing_banned():
    assert active_orders([(5, "x", 0.0)], []) == [(5, "x", 0.0)]
