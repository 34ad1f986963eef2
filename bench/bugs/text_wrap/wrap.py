"""Greedy word wrapping for fixed-width output."""


def wrap(text, width):
    """Lines of at most `width` characters (a longer single word gets its own line)."""
    lines = []
    line = ""
    for word in text.split():
        if not line:
            line = word
        elif len(line) + 1 + len(word) < width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def fill(text, width):
    return "\n".join(wrap(text, width))
