from cards import luhn_valid


def test_known_valid():
    for number in ["79927398713", "4111111111111111", "5555555555554444", "378282246310005"]:
        assert luhn_valid(number), number


def test_single_digit_change_detected():
    base = "79927398713"
    for i in range(len(base)):
        for d in "0123456789":
            if d != base[i]:
                assert not luhn_valid(base[:i] + d + base[i + 1:])
