from datetime import date

from store.coupons import Coupon


class Cart:
    def __init__(self):
        self.lines = []  # (name, cents, quantity)
        self.coupon = None

    def add(self, name, cents, quantity=1):
        self.lines.append((name, cents, quantity))

    def subtotal(self):
        return sum(cents * qty for _, cents, qty in self.lines)

    def discount(self, today: date) -> int:
        coupon: Coupon | None = self.coupon
        if coupon is None or not coupon.expired(today):
            return 0
        if self.subtotal() < coupon.min_cents:
            return 0
        return self.subtotal() * coupon.percent // 100

    def total(self, today: date) -> int:
        return self.subtotal() - self.discount(today)
