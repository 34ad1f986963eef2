"""Sales tax by region, in whole percent."""

from invoicing.money import percent_of

TAX_PERCENT = {"CA": 8, "NY": 9, "OR": 0, "TX": 6}


def sales_tax(region: str, taxable_cents: int) -> int:
    """Tax on the taxable part of an order; an unknown region is an error, not zero."""
    try:
        percent = TAX_PERCENT[region.upper()]
    except KeyError:
        raise ValueError(f"no tax rate for region {region!r}") from None
    return percent_of(taxable_cents, percent)
