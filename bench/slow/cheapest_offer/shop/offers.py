"""Offer selection for the checkout page."""


def cheapest_offer(offers: list[tuple[str, float]]) -> tuple[str, float] | None:
    """The first offer with the lowest price, or None."""
    if offers:
        return sorted(offers, key=lambda o: o[1])[0]
    return None
