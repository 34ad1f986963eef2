"""Workload for toml_unicode_escapes: a basic string's text split at its \\u escapes (the
decoder's call), 1500 escapes per scale step, some preceded by escaped backslashes."""

import random

TARGET = "toml.decoder:_load_unicode_escapes"
SCALE = 6


def make_input(scale):
    rng = random.Random(29)
    hexbytes = [rng.choice(["00e9 caf", "263A!", "0041", "4e2d\\\\", "0020 x", "00FC"]) for _ in range(1500 * scale)]
    return ("start ", hexbytes, "\\u")


def edge_inputs():
    yield ("", [], "\\u")
    yield ("a\\", ["0041x"], "\\u")
    yield ("", ["0001F600"], "\\U")
    yield ("", ["zz00"], "\\u")
    yield ("", ["d800"], "\\u")
