"""The products a shop sells, looked up by SKU."""

from dataclasses import dataclass


class UnknownProduct(KeyError):
    """A SKU that is not in the catalog."""


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int
    taxable: bool = True


class Catalog:
    def __init__(self, products=()):
        self._by_sku = {}
        for product in products:
            self.add(product)

    def add(self, product: Product) -> None:
        if product.price_cents < 0:
            raise ValueError(f"negative price for {product.sku}")
        self._by_sku[product.sku.upper()] = product

    def find(self, sku: str) -> Product:
        """The product with this SKU (case-insensitive)."""
        try:
            return self._by_sku[sku.upper()]
        except KeyError:
            raise UnknownProduct(sku) from None

    def __len__(self) -> int:
        return len(self._by_sku)
