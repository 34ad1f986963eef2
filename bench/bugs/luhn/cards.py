"""Card-number checks with the Luhn checksum."""


def luhn_valid(number):
    digits = [int(ch) for ch in number if ch.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 10
        total += d
    return total % 10 == 0


def mask(number):
    digits = [ch for ch in number if ch.isdigit()]
    return "*" * (len(digits) - 4) + "".join(digits[-4:])
