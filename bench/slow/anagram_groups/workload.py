"""Workload for anagram_groups: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "wordgames.anagrams:anagram_groups"
SCALE = 600


def make_input(scale):
    rng = random.Random(26)
    letters = "abcdefghij"
    return (["".join(rng.choice(letters) for _ in range(5)) for _ in range(scale)],)

