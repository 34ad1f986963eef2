"""Discounts: a bulk rate by quantity, and coupons."""

from dataclasses import dataclass
from datetime import date

# Buying BULK_THRESHOLD or more of one product earns BULK_PERCENT off that line.
BULK_THRESHOLD = 10
BULK_PERCENT = 10


def bulk_discount_rate(quantity: int) -> int:
    """Percent off a line of `quantity` items: BULK_PERCENT from BULK_THRESHOLD items on."""
    if quantity > BULK_THRESHOLD:
        return BULK_PERCENT
    return 0


@dataclass(frozen=True)
class Coupon:
    code: str
    percent: int
    expires: date | None = None
    minimum_cents: int = 0

    def applies_to(self, subtotal_cents: int, today: date) -> bool:
        """A coupon counts on its expiry day, not after it, and only above its minimum."""
        if self.expires is not None and today > self.expires:
            return False
        return subtotal_cents >= self.minimum_cents
