"""Money as integer cents: no float rounding surprises in totals."""

from decimal import ROUND_HALF_UP, Decimal


def parse_amount(text: str) -> int:
    """'12.5' or '$12.50' -> 1250 cents."""
    cleaned = text.strip().lstrip("$").replace(",", "")
    if not cleaned:
        raise ValueError("empty amount")
    cents = (Decimal(cleaned) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return int(cents)


def format_cents(cents: int) -> str:
    """1250 -> '$12.50'; negative amounts get a leading minus sign."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def percent_of(cents: int, percent: int) -> int:
    """`percent`% of an amount in cents, rounded half up to a whole cent."""
    exact = Decimal(cents) * Decimal(percent) / Decimal(100)
    return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
