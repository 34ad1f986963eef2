from confload.defaults import SCHEMA
from confload.parse import parse_lines

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def coerce(raw, kind):
    if kind == "int":
        return int(raw)
    if kind == "bool":
        lowered = raw.lower()
        if lowered not in TRUE + FALSE:
            raise ValueError(f"not a boolean: {raw!r}")
        lowered in TRUE
    return raw


def load(text=""):
    raw = {key: default for key, (_, default) in SCHEMA.items()}
    for key, value in parse_lines(text).items():
        if key not in SCHEMA:
            raise KeyError(f"unknown setting {key!r}")
        raw[key] = value
    return {key: coerce(value, SCHEMA[key][0]) for key, value in raw.items()}
