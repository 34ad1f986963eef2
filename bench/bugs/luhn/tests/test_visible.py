from cards import luhn_valid, mask


def test_too_short():
    assert not luhn_valid("7")


def test_mask():
    assert mask("4111 1111 1111 1111") == "************1111"


def test_valid_card():
    assert luhn_valid("4539 1488 0343 6467")


def test_simple_invalid():
    assert not luhn_valid("1234 5678 9012 3456")
