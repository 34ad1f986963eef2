"""The examples a function's own docstring gives of its results, as inputs with a known answer.

A lone passing patch has no rival to disagree with, and the tests are all the oracle the comparison
with HEAD has: a patch that repairs the failing tests' inputs and keeps HEAD's wrong result next to
them changes nothing a comparison could call suspicious. The docstring is the one other oracle most
code carries: a docstring "Round half up to whole cents: 0.125 -> 0.13, 2.675 -> 2.68." states two results,
and a patch that still returns 0.12 for 0.125 has not repaired what the function says it does
(documentation as an oracle: Toradocu, Goffi et al., ISSTA 2016; doctests are the same idea).

Two forms are read, nothing looser:
- doctest lines: `>>> name(literal, ...)` followed by the expected output (a literal, or the
  result's repr as text);
- arrows in prose: `LITERAL -> LITERAL` (or `→`), for a function of one required argument: the left
  side is the argument, the right the result. Each side must be a whole Python literal read token by
  token (`0.125 -> 0.13, 2.675 -> 2.68` is two examples, not a tuple).

A result matches when it equals the expected value, or both are numbers equal as floats (a Decimal
0.13 is the 0.13 of the prose), or its str/repr is the expected text. Only the child process of
tools/verify/behaviour.py calls these on loaded code.
"""

from __future__ import annotations

import ast
import doctest
import inspect
import io
import math
import numbers
import re
import tokenize
from dataclasses import dataclass
from typing import Any

__all__ = ["DocExample", "doc_examples", "matches"]

MAX_EXAMPLES = 12
_OPENERS = {":", ",", ";", "(", "[", "e.g.", "i.e."}
_ARROW = re.compile(r"(?<![<\-=])(?:->|→)(?!>)")


@dataclass(frozen=True)
class DocExample:
    args: tuple[Any, ...]
    expected: Any  # the literal value, or None when only `text` is known
    text: str  # the expected result as the docstring writes it
    call: str  # the example's call, as the docstring means it ("to_cents(0.125)")


def doc_examples(fn: Any, name: str) -> list[DocExample]:
    """The examples of `fn`'s docstring (see the module docstring); [] when it has none."""
    doc = inspect.getdoc(fn) or ""
    if not doc:
        return []
    found = _doctests(doc, name) + _arrows(doc, fn, name)
    unique: dict[str, DocExample] = {}
    for example in found:
        unique.setdefault(example.call, example)
    return list(unique.values())[:MAX_EXAMPLES]


def matches(result: Any, example: DocExample) -> bool:
    """Does `result` give the docstring's answer?"""
    try:
        if example.expected is not None or example.text == "None":
            if type(result) is type(example.expected) and result == example.expected:
                return True
            if _number(result) and _number(example.expected):
                return math.isclose(float(result), float(example.expected), rel_tol=1e-9, abs_tol=1e-12)
            if isinstance(result, (list, tuple)) and isinstance(example.expected, (list, tuple)):
                return list(result) == list(example.expected)
            if bool(result == example.expected) and not isinstance(result, bool) and not isinstance(example.expected, bool):
                return True
        return example.text in (str(result), repr(result))
    except Exception:  # noqa: BLE001 - a user __eq__ or __str__ may raise anything
        return False


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, (bool, complex)) or \
        type(value).__name__ == "Decimal"


def _doctests(doc: str, name: str) -> list[DocExample]:
    try:
        examples = doctest.DocTestParser().get_examples(doc)
    except ValueError:
        return []
    found = []
    for example in examples:
        try:
            call = ast.parse(example.source.strip(), mode="eval").body
        except SyntaxError:
            continue
        if not (isinstance(call, ast.Call) and _callee(call.func) == name and not call.keywords):
            continue
        try:
            args = tuple(ast.literal_eval(a) for a in call.args)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        text = example.want.strip()
        if not text or "\n" in text or text.startswith("Traceback"):
            continue
        found.append(DocExample(args, _literal(text), text, example.source.strip()))
    return found


def _callee(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _arrows(doc: str, fn: Any, name: str) -> list[DocExample]:
    """`LITERAL -> LITERAL` examples, for a function that takes one required argument."""
    if not _one_argument(fn):
        return []
    found = []
    for line in doc.splitlines():
        for match in _ARROW.finditer(line):
            left = _literal_ending(line[:match.start()])
            right = _literal_starting(line[match.end():])
            if left is None or right is None:
                continue
            (value, text), (expected, expected_text) = left, right
            found.append(DocExample((value,), expected, expected_text, f"{name}({text})"))
    return found


def _one_argument(fn: Any) -> bool:
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    required = [p for p in parameters if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(required) == 1 and required[0] is parameters[0]


def _tokens(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of `text`'s tokens on its one line; [] when it does not tokenize."""
    spans = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
                continue
            if token.start[0] != 1:
                break
            spans.append((token.start[1], token.end[1]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return spans


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _literal_starting(text: str) -> tuple[Any, str] | None:
    """The shortest whole-token prefix of `text` that is a Python literal (a bare name is not)."""
    stripped = text.lstrip()
    for _, end in _tokens(stripped):
        part = stripped[:end]
        if _is_literal(part):
            return ast.literal_eval(part), part
    return None


def _literal_ending(text: str) -> tuple[Any, str] | None:
    """The shortest whole-token suffix of `text` that is a Python literal."""
    stripped = text.rstrip()
    spans = _tokens(stripped)
    for index in range(len(spans) - 1, -1, -1):
        part = stripped[spans[index][0]:]
        if _is_literal(part):
            # `-3` is two tokens, and `3` alone is a literal too: a sign written against the number
            # and apart from what stands before it (`x: -3`, not `5 - 3`) belongs to it.
            if index and stripped[spans[index - 1][0]:spans[index - 1][1]] in "+-" \
                    and _unary(stripped, spans[index - 1], spans[index]):
                part = stripped[spans[index - 1][0]:]
                index -= 1
            before = stripped[spans[index - 1][0]:spans[index - 1][1]] if index else ""
            if before and before not in _OPENERS:
                # `7 - 3 -> 4` is arithmetic and `'#1a2b3c' or '#abc' -> (26, 43, 60)` names alternatives:
                # neither is an argument. The example starts the line or follows a `:`, `,`, `;`, `(`.
                return None
            return ast.literal_eval(part), part
    return None


def _unary(text: str, sign: tuple[int, int], number: tuple[int, int]) -> bool:
    before = text[sign[0] - 1:sign[0]] if sign[0] else ""
    return sign[1] == number[0] and (not before or before.isspace() or before in "([{,:=")


def _is_literal(text: str) -> bool:
    try:
        node = ast.parse(text, mode="eval").body
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    # A sign alone before a number is part of it; `- 1` written in prose as a dash is not ours to read.
    return not (isinstance(node, ast.UnaryOp) and text.lstrip()[:1] in "+-" and text.lstrip()[1:2] == " ")
