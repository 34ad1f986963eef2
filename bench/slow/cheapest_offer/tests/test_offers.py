from shop.offers import cheapest_offer


def test_first_of_the_cheapest():
    assert cheapest_offer([("a", 2.0), ("b", 1.0), ("c", 1.0)]) == ("b", 1.0)


def test_none_when_empty():
    assert cheapest_offer([]) is None
