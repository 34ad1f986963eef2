"""A tiny tokenizer for the config language."""
import re


def tokenize_lines(lines: list[str]) -> list[list[str]]:
    """Identifiers, integers and single other characters of each line."""
    out = []
    for line in lines:
        token_re = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|\S")
        out.append(token_re.findall(line))
    return out
