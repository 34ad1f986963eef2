from datetime import date

import pytest

from invoicing.cart import Cart
from invoicing.catalog import Catalog, Product, UnknownProduct
from invoicing.discounts import Coupon

TODAY = date(2026, 3, 1)


@pytest.fixture
def catalog():
    return Catalog(
        [
            Product("PEN", "Gel pen", 150),
            Product("BOOK", "Notebook", 1200),
            Product("GIFT", "Gift card", 2500, taxable=False),
        ]
    )


def test_add_and_total_with_tax(catalog):
    cart = Cart(catalog, "CA")
    cart.add("pen", 2)
    cart.add("BOOK")
    assert cart.subtotal_cents() == 1500
    assert cart.total_cents(TODAY) == 1500 + 120


def test_ten_pens_get_the_bulk_discount(catalog):
    cart = Cart(catalog, "OR")
    cart.add("PEN", 10)
    assert cart.total_cents(TODAY) == 1350


def test_remove_part_of_a_line(catalog):
    cart = Cart(catalog, "OR")
    cart.add("BOOK", 3)
    cart.remove("BOOK", 1)
    assert cart.lines["BOOK"].quantity == 2
    cart.remove("BOOK")
    assert cart.lines == {}


def test_unknown_sku(catalog):
    with pytest.raises(UnknownProduct):
        Cart(catalog, "CA").add("NOPE")


def test_coupon_and_untaxed_gift_card(catalog):
    cart = Cart(catalog, "NY")
    cart.add("BOOK")
    cart.add("GIFT")
    cart.apply_coupon(Coupon("TEN", 10))
    # subtotal 3700, coupon 370; taxable 1200 - 370*1200//3700 = 1080, tax 9% = 97
    assert cart.total_cents(TODAY) == 3700 - 370 + 97
