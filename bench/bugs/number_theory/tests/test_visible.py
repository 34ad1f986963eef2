from numtheory import gcd, is_prime, lcm


def test_gcd():
    assert gcd(12, 18) == 6


def test_lcm_zero():
    assert lcm(0, 5) == 0


def test_lcm():
    assert lcm(4, 6) == 12


def test_primes():
    assert [n for n in range(20) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19]
