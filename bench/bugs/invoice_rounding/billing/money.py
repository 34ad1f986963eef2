from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount) -> Decimal:
    """Round half up to whole cents: 0.125 -> 0.13, 2.675 -> 2.68."""
    return Decimal(str(round(float(amount), 2))).quantize(CENT)
