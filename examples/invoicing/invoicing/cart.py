"""A shopping cart: line items, discounts, tax and the total to charge."""

from dataclasses import dataclass
from datetime import date

from invoicing.catalog import Catalog, Product
from invoicing.discounts import Coupon, bulk_discount_rate
from invoicing.money import percent_of
from invoicing.tax import sales_tax


@dataclass
class LineItem:
    product: Product
    quantity: int

    def gross_cents(self) -> int:
        return self.product.price_cents * self.quantity

    def discount_cents(self) -> int:
        return percent_of(self.gross_cents(), bulk_discount_rate(self.quantity))

    def net_cents(self) -> int:
        return self.gross_cents() - self.discount_cents()


class Cart:
    def __init__(self, catalog: Catalog, region: str):
        self.catalog = catalog
        self.region = region
        self.lines: dict[str, LineItem] = {}
        self.coupon: Coupon | None = None

    def add(self, sku: str, quantity: int = 1) -> LineItem:
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        product = self.catalog.find(sku)
        line = self.lines.get(product.sku)
        if line is None:
            line = self.lines[product.sku] = LineItem(product, 0)
        line.quantity += quantity
        return line

    def remove(self, sku: str, quantity: int | None = None) -> None:
        """Take `quantity` items of `sku` out of the cart, or the whole line when None."""
        product = self.catalog.find(sku)
        line = self.lines[product.sku]
        if quantity is None or quantity >= line.quantity:
            del self.lines[product.sku]
        else:
            line.quantity -= quantity

    def apply_coupon(self, coupon: Coupon) -> None:
        self.coupon = coupon

    def subtotal_cents(self) -> int:
        return sum(line.net_cents() for line in self.lines.values())

    def coupon_cents(self, today: date) -> int:
        subtotal = self.subtotal_cents()
        if self.coupon is None or not self.coupon.applies_to(subtotal, today):
            return 0
        return percent_of(subtotal, self.coupon.percent)

    def total_cents(self, today: date) -> int:
        """What to charge: lines after bulk discounts, minus the coupon, plus tax on taxable goods."""
        subtotal = self.subtotal_cents()
        coupon = self.coupon_cents(today)
        taxable = sum(line.net_cents() for line in self.lines.values() if line.product.taxable)
        # The coupon lowers the taxable amount in proportion to the taxable share of the cart.
        if subtotal:
            taxable -= coupon * taxable // subtotal
        return subtotal - coupon + sales_tax(self.region, taxable)
