"""Formatting people's names."""


def initials(full_name):
    """"ada  king lovelace" -> "A.K.L." (extra spaces are ignored)."""
    letters = []
    for part in full_name.split(" "):
        letters.append(part[0].upper() + ".")
    return "".join(letters)


def last_first(full_name):
    parts = full_name.split()
    if len(parts) < 2:
        return full_name.strip()
    return f"{parts[-1]}, {' '.join(parts[:-1])}"
