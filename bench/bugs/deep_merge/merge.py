"""Recursive merging of nested dictionaries (e.g. settings layers)."""


def deep_merge(base, override):
    """A new dict: `override` on top of `base`; nested dicts merge, everything else is replaced."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value


def merge_all(layers):
    merged = {}
    for layer in layers:
        merged = deep_merge(merged, layer)
    return merged


def flatten(nested, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}"""
    flat = {}
    for key, value in nested.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat
