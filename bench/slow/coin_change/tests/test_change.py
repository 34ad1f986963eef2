from till.change import ways_to_pay


def test_small_amounts():
    assert ways_to_pay(4, (1, 2, 3)) == 4
    assert ways_to_pay(10, (2, 5, 3, 6)) == 5


def test_nothing_to_pay_and_no_coins():
    assert ways_to_pay(0, ()) == 1
    assert ways_to_pay(7, ()) == 0
