TAX_RATES = {"food": 7, "standard": 19}


def with_tax(cents, category="standard"):
    rate = TAX_RATES[category]
    return cents + (cents * rate + 50) // 100


def stock_value(stock):
    return sum(item.unit_cents * item.quantity for item in stock)
