# Units of each currency per 1 EUR.
PER_EUR = {"EUR": 1.0, "USD": 1.10, "GBP": 0.85, "JPY": 160.0}


def convert(amount, from_currency, to_currency):
    """`amount` in `from_currency` expressed in `to_currency`, rounded to 2 places."""
    if from_currency not in PER_EUR or to_currency not in PER_EUR:
        raise KeyError(f"unknown currency {from_currency} or {to_currency}")
    return round(amount / PER_EUR[from_currency] * PER_EUR[to_currency], 2)
