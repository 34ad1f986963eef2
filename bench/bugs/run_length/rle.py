"""Run-length encoding of strings: "aaab" <-> [("a", 3), ("b", 1)] <-> "3a1b"."""


def encode(text):
    runs = []
    if not text:
        return runs
    prev, count = text[0], 1
    for ch in text[1:]:
        if ch == prev:
            count += 1
        else:
            runs.append((prev, count))
            prev, count = ch, 1
    return runs


def decode(runs):
    return "".join(ch * count for ch, count in runs)


def to_string(runs):
    return "".join(f"{count}{ch}" for ch, count in runs)


def from_string(packed):
    runs, digits = [], ""
    for ch in packed:
        if ch.isdigit():
            digits += ch
        else:
            runs.append((ch, int(digits)))
            digits = ""
    return runs
