import pytest

from shop.catalog import basket_total, price_in
from shop.rates import convert


def test_convert():
    assert convert(10, "EUR", "USD") == 11.0


def test_unknown():
    with pytest.raises(KeyError):
        convert(1, "EUR", "XXX")


def test_native_price():
    assert price_in("mug", "EUR") == 12.0


def test_foreign_price():
    assert price_in("mug", "USD") == 13.2
