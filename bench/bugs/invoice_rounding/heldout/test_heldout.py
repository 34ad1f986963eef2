from decimal import Decimal

import pytest

from billing.money import to_cents


@pytest.mark.parametrize("raw,cents", [("0.125", "0.13"), ("0.135", "0.14"), ("1.005", "1.01"),
                                       ("-0.125", "-0.13"), ("7", "7.00"), (0.5, "0.50")])
def test_half_up(raw, cents):
    assert to_cents(raw) == Decimal(cents)
    assert isinstance(to_cents(raw), Decimal)
