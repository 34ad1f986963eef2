"""Carts, discounts and taxes for a small web shop; amounts are integer cents."""

from invoicing.cart import Cart, LineItem
from invoicing.catalog import Catalog, Product, UnknownProduct
from invoicing.discounts import Coupon, bulk_discount_rate
from invoicing.money import format_cents, parse_amount

__all__ = [
    "Cart",
    "Catalog",
    "Coupon",
    "LineItem",
    "Product",
    "UnknownProduct",
    "bulk_discount_rate",
    "format_cents",
    "parse_amount",
]
