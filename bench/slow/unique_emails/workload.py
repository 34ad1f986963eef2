"""Workload for unique_emails: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "crm.contacts:unique_emails"
SCALE = 3000


def make_input(scale):
    rng = random.Random(3)
    rows = [f"user{i},U{rng.randrange(scale)}@Example.org" for i in range(scale * 3)]
    return (rows,)

