"""Workload for toml_dump_list: an array of 1500 * scale mixed values (strings with escapes,
ints, floats, booleans) as in a long `dependencies` or data array."""

import random

from toml.encoder import TomlEncoder

TARGET = "toml.encoder:TomlEncoder.dump_list"
SCALE = 4


def make_input(scale):
    rng = random.Random(17)
    values = [rng.choice([f"pkg-{i}", f'quote "{i}"', i, i * 0.5, True, "tab\there", "ünï"]) for i in range(1500 * scale)]
    return (TomlEncoder(), values)


def edge_inputs():
    yield (TomlEncoder(), [])
    yield (TomlEncoder(), [[1, 2], ["a"], []])
    yield (TomlEncoder(), [float("nan"), -0.0, 10 ** 30])
