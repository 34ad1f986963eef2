from shop.rates import convert

PRODUCTS = {"mug": (12.0, "EUR"), "cap": (22.0, "USD"), "scarf": (17.0, "GBP")}


def price_in(product, currency):
    amount, native = PRODUCTS[product]
    return convert(amount, currency, native)


def basket_total(products, currency):
    return round(sum(price_in(p, currency) for p in products), 2)
