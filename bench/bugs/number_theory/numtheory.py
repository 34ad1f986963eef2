"""Integer helpers: gcd, lcm, primes."""


def gcd(a, b):
    a, b = abs(a), abs(b)
    while b:
        a, b = b, a % b
    return a


def lcm(a, b):
    if a == 0 or b == 0:
        return 0
    return abs(a * a) // gcd(a, b)


def lcm_all(numbers):
    result = 1
    for n in numbers:
        result = lcm(result, n)
    return result


def is_prime(n):
    if n < 2:
        return False
    f = 2
    while f * f <= n:
        if n % f == 0:
            return False
        f += 1
    return True
