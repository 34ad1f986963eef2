"""Workload for activity_feed: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "feed.timeline:newest_first"
SCALE = 5000


def make_input(scale):
    rng = random.Random(32)
    users = ["ann", "bob", "cho"]
    return [(i, rng.choice(users), rng.choice(["login", "post", "like"])) for i in range(scale * 30)], "ann"

