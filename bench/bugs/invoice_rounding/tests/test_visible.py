from decimal import Decimal

from billing.invoice import invoice_total, line_total
from billing.money import to_cents


def test_plain():
    assert to_cents(3) == Decimal("3.00")


def test_line():
    assert line_total("19.99", 3, 19) == (Decimal("59.97"), Decimal("11.39"))


def test_half_up():
    assert to_cents("2.675") == Decimal("2.68")


def test_invoice():
    assert invoice_total([("10.00", 1, 20), ("5.00", 2, 0)])["gross"] == Decimal("22.00")
