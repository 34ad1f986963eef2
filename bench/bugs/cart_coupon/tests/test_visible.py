from datetime import date

from store.cart import Cart
from store.coupons import Coupon

TODAY = date(2024, 6, 1)


def cart():
    c = Cart()
    c.add("tea", 450, 2)
    c.add("pot", 2000)
    return c


def test_subtotal():
    assert cart().subtotal() == 2900


def test_no_coupon():
    assert cart().total(TODAY) == 2900


def test_expired_coupon_ignored():
    c = cart()
    c.coupon = Coupon("OLD", 10, date(2024, 1, 1))
    assert c.total(TODAY) == 2900


def test_valid_coupon():
    c = cart()
    c.coupon = Coupon("SUMMER", 10, date(2024, 8, 31))
    assert c.total(TODAY) == 2610
