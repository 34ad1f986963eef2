"""ISBN-10 and ISBN-13 validation."""


def _digits(text):
    return text.replace("-", "").replace(" ", "").upper()


def valid_isbn10(text):
    code = _digits(text)
    if len(code) != 10 or not code[:9].isdigit() or not (code[9].isdigit() or code[9] == "X"):
        return False
    total = sum((10 - i) * int(ch) for i, ch in enumerate(code[:9]))
    total += 10 if code[9] == "X" else int(code[9])
    return total % 10 == 0


def valid_isbn13(text):
    code = _digits(text)
    if len(code) != 13 or not code.isdigit():
        return False
    total = sum(int(ch) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(code))
    return total % 10 == 0
