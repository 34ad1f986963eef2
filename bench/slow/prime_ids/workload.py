"""Workload for prime_ids: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "ids.primes:primes_below"
SCALE = 3000


def make_input(scale):
    return (scale * 3,)

