from ids.primes import primes_below


def test_small():
    assert primes_below(12) == [2, 3, 5, 7, 11]


def test_nothing_below_two():
    assert primes_below(2) == []
