from shop.catalog import basket_total, price_in


def test_cap_in_eur():
    assert price_in("cap", "EUR") == 20.0


def test_basket():
    assert basket_total(["mug", "scarf"], "EUR") == 32.0
    assert basket_total(["mug", "cap"], "USD") == 35.2
