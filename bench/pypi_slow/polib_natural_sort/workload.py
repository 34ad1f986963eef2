"""Workload for polib_natural_sort: message ids and file names with embedded numbers, the
kind of keys natural_sort orders (catalogue paths, numbered msgids), 300 per scale step."""

import random

TARGET = "polib:natural_sort"
SCALE = 20


def make_input(scale):
    rng = random.Random(7)
    stems = ["locale/fr", "Chapter", "item", "msg", "po/de_DE", "File", "v", "ÉTAPE"]
    keys = [f"{rng.choice(stems)}{rng.randint(0, 999)}-{rng.randint(0, 99)}.po" for _ in range(300 * scale)]
    return (keys,)


def edge_inputs():
    yield ([],)
    yield (["a10", "a2", "A1", "a01", "10", "9", "", "b", "B2c3"],)
