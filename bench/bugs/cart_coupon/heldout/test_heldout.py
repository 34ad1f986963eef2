from datetime import date

from store.cart import Cart
from store.coupons import Coupon


def test_last_day_still_valid():
    c = Cart()
    c.add("x", 1000)
    c.coupon = Coupon("EDGE", 25, date(2024, 6, 1))
    assert c.total(date(2024, 6, 1)) == 750
    assert c.total(date(2024, 6, 2)) == 1000


def test_minimum_spend():
    c = Cart()
    c.add("x", 500)
    c.coupon = Coupon("BIG", 50, date(2030, 1, 1), min_cents=1000)
    assert c.discount(date(2024, 1, 1)) == 0
    c.add("y", 500)
    assert c.discount(date(2024, 1, 1)) == 500
