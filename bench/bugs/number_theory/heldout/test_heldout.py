import math

from numtheory import lcm, lcm_all


def test_against_math():
    for a in range(-12, 13):
        for b in range(-12, 13):
            assert lcm(a, b) == math.lcm(a, b)


def test_lcm_all():
    assert lcm_all(range(1, 11)) == 2520
