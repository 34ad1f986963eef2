"""Reading values out of nested JSON-like data by dotted paths."""


def get_path(data, path, default=None):
    """data["a"]["b"][0] for path "a.b.0"; `default` when any step is missing or null."""
    current = data
    for part in path.split("."):
        if current is None:
            return default
        if isinstance(current, list):
            if not part.isdigit() or int(part) >= len(current):
                return default
            current = current[int(part)]
        elif isinstance(current, dict):
            if part not in current:
                return default
            current = current[part]
        else:
            return default
    return current


def has_path(data, path):
    marker = object()
    return get_path(data, path, marker) is not marker
