from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Coupon:
    code: str
    percent: int
    expires: date
    min_cents: int = 0

    def expired(self, today: date) -> bool:
        return today > self.expires
