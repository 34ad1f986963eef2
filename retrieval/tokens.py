"""Identifier-aware tokenisation, shared by the search documents and the queries.

Code names hide words: `parse_http_header`, `readLine`, `HTTPServer`, `md5sum2`.
Splitting them lets a query for "http server" meet `HTTPServer`, while keeping
the whole identifier as a token too lets an exact `readline` outrank a symbol
that merely mentions "read" and "line" somewhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A word is a run of letters/digits/underscores; everything else separates words.
_WORD = re.compile(r"[A-Za-z0-9_]+")
# Within a word: an acronym before a capitalised word (HTTP|Server), a capitalised
# or lower-case run, an all-caps run, or a run of digits.
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# Only the glue words of docstring prose: short, so that code words like "get",
# "set", "file" or "type" still count.
STOPWORDS = frozenset(
    """
    a an and are as at be been but by can do does for from has have if in into is it
    its may must not of on or should so such that the their then there these this
    those to was were when which while will with would you your
    """.split()
)


# Code abbreviates what prose spells out; both sides are mapped to the short form
# so that "dictionary" meets `dict` and "compare" meets `cmp`.
ABBREVIATIONS = {
    "arguments": "args", "argument": "arg", "attribute": "attr", "attributes": "attrs",
    "buffer": "buf", "command": "cmd", "compare": "cmp", "configuration": "config",
    "configure": "config", "connection": "conn", "context": "ctx", "current": "cur",
    "database": "db", "destination": "dst", "dictionary": "dict", "dictionaries": "dict",
    "directory": "dir", "directories": "dir", "environment": "env", "error": "err",
    "execute": "exec", "executable": "exec", "expression": "expr", "function": "func",
    "functions": "func", "index": "idx", "information": "info", "initialize": "init",
    "initialise": "init", "integer": "int", "length": "len", "library": "lib",
    "message": "msg", "number": "num", "object": "obj", "package": "pkg",
    "parameter": "param", "parameters": "params", "previous": "prev", "process": "proc",
    "reference": "ref", "request": "req", "response": "resp", "source": "src",
    "specification": "spec", "string": "str", "temporary": "tmp", "temp": "tmp",
    "utility": "util", "utilities": "util", "value": "val", "variable": "var",
}


def normalize(part: str) -> str:
    """One word part in its search form: abbreviated, then a light plural stem."""
    part = ABBREVIATIONS.get(part, part)
    # Harman's "S" stemmer: plurals only, so that "rows" meets `row` without the
    # surprises of a full stemmer on code words.
    if len(part) > 3 and part.endswith("ies") and not part.endswith(("eies", "aies")):
        return part[:-3] + "y"
    if len(part) > 3 and part.endswith("es") and not part.endswith(("aes", "ees", "oes")):
        return part[:-1]
    if len(part) > 3 and part.endswith("s") and not part.endswith(("us", "ss")):
        return part[:-1]
    return part


def split_identifier(word: str) -> list[str]:
    """The lower-cased parts of one identifier: "HTTPServer2" -> ["http", "server", "2"]."""
    parts: list[str] = []
    for chunk in word.split("_"):
        parts.extend(p.lower() for p in _PART.findall(chunk))
    return parts


def tokenize(text: str) -> list[str]:
    """Search tokens of `text` (code or prose), in order, duplicates kept.

    Each identifier yields its parts (normalised) and, when it has more than one
    part, the whole identifier lower-cased (leading/trailing underscores stripped).
    Stopwords and single characters that are not digits are dropped.
    """
    tokens: list[str] = []
    for word in _WORD.findall(text):
        tokens.extend(word_tokens(word))
    return tokens


@lru_cache(maxsize=1 << 18)
def word_tokens(word: str) -> tuple[str, ...]:
    """The tokens of one identifier (cached: a code base repeats its names endlessly)."""
    parts = split_identifier(word)
    tokens = [normalize(p) for p in parts if p not in STOPWORDS and (len(p) > 1 or p.isdigit())]
    whole = word.strip("_").lower()
    if len(parts) > 1 and whole:
        tokens.append(whole)
    return tuple(tokens)
