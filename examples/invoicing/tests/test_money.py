import pytest

from invoicing.money import format_cents, parse_amount, percent_of


@pytest.mark.parametrize(("text", "cents"), [("12.5", 1250), ("$1,024.99", 102499), ("0.005", 1), (" 3 ", 300)])
def test_parse_amount(text, cents):
    assert parse_amount(text) == cents


def test_parse_amount_rejects_empty():
    with pytest.raises(ValueError):
        parse_amount("  ")


def test_format_cents():
    assert format_cents(123456) == "$1,234.56"
    assert format_cents(-5) == "-$0.05"


def test_percent_of_rounds_half_up():
    assert percent_of(1005, 10) == 101
    assert percent_of(999, 0) == 0
