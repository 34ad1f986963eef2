from datetime import date

from invoicing.discounts import BULK_PERCENT, BULK_THRESHOLD, Coupon, bulk_discount_rate


def test_no_bulk_discount_below_threshold():
    assert bulk_discount_rate(1) == 0
    assert bulk_discount_rate(BULK_THRESHOLD - 1) == 0


def test_bulk_discount_starts_at_threshold():
    # "10 or more items": exactly ten already earns the discount.
    assert bulk_discount_rate(BULK_THRESHOLD) == BULK_PERCENT


def test_bulk_discount_above_threshold():
    assert bulk_discount_rate(50) == BULK_PERCENT


def test_coupon_valid_on_expiry_day_only():
    coupon = Coupon("SPRING", 15, expires=date(2026, 4, 30))
    assert coupon.applies_to(1000, date(2026, 4, 30))
    assert not coupon.applies_to(1000, date(2026, 5, 1))


def test_coupon_minimum():
    coupon = Coupon("BIG", 5, minimum_cents=5000)
    assert not coupon.applies_to(4999, date(2026, 1, 1))
    assert coupon.applies_to(5000, date(2026, 1, 1))
