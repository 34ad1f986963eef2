"""C type words and the tree-sitter C parser, shared by the harness (c_harness.py) and its struct model (c_structs.py)."""

from __future__ import annotations

import re

__all__ = ["FLOAT_WORDS", "INT_WORDS", "c_parser", "type_words"]

INT_WORDS = {"int", "long", "short", "char", "unsigned", "signed", "size_t", "ssize_t", "ptrdiff_t", "bool",
              "_Bool", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
              "intptr_t", "uintptr_t"}
FLOAT_WORDS = {"float", "double"}
QUALIFIERS = {"const", "volatile", "restrict", "register", "__restrict"}


def c_parser():
    import tree_sitter
    import tree_sitter_c

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_c.language()))


def type_words(text: str) -> list[str]:
    return [w for w in re.split(r"\s+", text.strip()) if w and w not in QUALIFIERS]
