"""Workload for toml_dump_sections: one table of 1200 * scale keys (bare, dotted and quoted),
some holding lists and some sub-tables, as in a large generated config."""

import random

from toml.encoder import TomlEncoder

TARGET = "toml.encoder:TomlEncoder.dump_sections"
SCALE = 4


def make_input(scale):
    rng = random.Random(23)
    table = {}
    for i in range(1200 * scale):
        key = rng.choice([f"key_{i}", f"key-{i}", f"with space {i}", f"dotted.{i}", f"ü{i}"])
        table[key] = rng.choice([i, f"value {i}", [i, i + 1, i + 2], {"inner": i}, None, 1.5])
    return (TomlEncoder(), table, "")


def edge_inputs():
    yield (TomlEncoder(), {}, "")
    yield (TomlEncoder(), {"a": [{"b": 1}, {"c": {"d": 2}}]}, "top")
    yield (TomlEncoder(), {"x y": 1, "z": {"w": [1]}}, "sec.")
