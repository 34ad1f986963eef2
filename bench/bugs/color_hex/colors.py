"""Hex colour strings <-> RGB tuples."""


def parse_hex(code):
    """'#1a2B3c' or '1a2b3c' or '#abc' -> (26, 43, 60)."""
    code = code.lstrip("#")
    if len(code) == 3:
        code = "".join(ch * 2 for ch in code)
    if len(code) != 6:
        raise ValueError(f"bad colour {code!r}")
    return tuple(int(code[i:i + 2], 8) for i in (0, 2, 4))


def to_hex(rgb):
    return "#" + "".join(f"{max(0, min(255, c)):02x}" for c in rgb)


def mix(a, b):
    return tuple((x + y) // 2 for x, y in zip(parse_hex(a), parse_hex(b)))
