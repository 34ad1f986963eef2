from decimal import Decimal

from billing.money import to_cents


def line_total(unit_price, quantity, vat_percent):
    net = to_cents(Decimal(str(unit_price)) * quantity)
    vat = to_cents(net * Decimal(vat_percent) / 100)
    return net, vat


def invoice_total(lines):
    net = sum((line_total(*line)[0] for line in lines), Decimal(0))
    vat = sum((line_total(*line)[1] for line in lines), Decimal(0))
    return {"net": net, "vat": vat, "gross": net + vat}
