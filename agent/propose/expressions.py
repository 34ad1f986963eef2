"""Small typed expressions over the values a probe saw, smallest first (the synthesis half of SemFix).

A probe run (tools/testing/angelic.py) records, at one suspicious expression, the locals and the
expression's value for every time a test reached it (a `Hit`). `enumerate_fixes` builds
expressions bottom-up over those hits: terminals are the in-scope names (and the literal
attributes of objects, `self.size`), the original expression and its parts, and literals of the
function and file; operators are +/-1, comparisons, `len`, `min`/`max`, `abs`, indexing and
slicing, list and tuple construction, `not` and `and`/`or`. Each expression is evaluated on the
recorded values, never by running the program, so no code with side effects runs twice; two
expressions with the same values on every hit are the same to the search and only the smaller is
kept (observational equivalence). An expression qualifies when, on every hit of a passing test,
it gives what the code gave (passing tests keep passing) and on some hit of a failing test it
gives something else; at a condition only the truth value counts.
"""

from __future__ import annotations

import ast
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

_ERR = object()  # the expression raised on this hit
_SAFE_BUILTINS = {"len": len, "min": min, "max": max, "abs": abs, "True": True, "False": False, "None": None}
MAX_SIZE = 5
BANK_LIMIT = 4000  # expressions kept per size: the search stays small and quick


@dataclass
class Hit:
    """One time a test reached the probe: its locals (plain data) and what the expression gave."""

    test: str
    failing: bool
    env: dict[str, Any]
    value: Any  # the expression's value, _ERR when it was not plain data
    truth: bool | None

    @property
    def known(self) -> bool:
        return self.value is not _ERR


@dataclass(frozen=True)
class Expr:
    text: str
    size: int
    names: frozenset[str]
    values: tuple = field(repr=False)
    atomic: bool = True  # needs no parentheses as an operand
    cost: int = 1  # size plus the oddness of its operators (FORM_COST): the order fixes are offered in


def decode_hit(record: dict[str, Any], failing: bool) -> Hit:
    """A Hit from the probe plugin's record (values as reprs; objects as their literal attributes)."""
    env: dict[str, Any] = {}
    for name, raw in (record.get("env") or {}).items():
        if isinstance(raw, dict) and "__attrs__" in raw:
            attrs = {k: v for k, t in raw["__attrs__"].items() for v in [_literal(t)] if v is not _ERR}
            env[name] = SimpleNamespace(**attrs)
        else:
            value = _literal(raw)
            if value is not _ERR:
                env[name] = value
    value = _literal(record["v"]) if record.get("v") is not None else _ERR
    return Hit(record.get("t", ""), failing, env, value, record.get("truth"))


def _literal(text: Any) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _ERR


def key(value: Any) -> str:
    """Values compare by type and repr: 1, 1.0 and True are different answers."""
    if value is _ERR:
        return "<error>"
    return f"{type(value).__name__}:{value!r}"


def qualifies(expr: Expr, hits: Sequence[Hit], condition: bool, placeholder: bool = False) -> bool:
    """Same as the code on every passing hit, different on some failing hit.

    `placeholder`: the site is a bare `None` (`return None` where a value was meant, the seeded
    faults' commonest kind): None says nothing of the type wanted, and a passing test that got None
    there did not look at it, so neither binds (the gates still run every test on the patch)."""
    changed = False
    for hit, value in zip(hits, expr.values):
        if value is _ERR:
            return False
        if placeholder and hit.value is None:
            changed = changed or (hit.failing and value is not None)
            continue
        # Typed: a condition is a bool; elsewhere the type the code gave there (an int for an int).
        if (condition and not isinstance(value, bool)) or (not condition and hit.known
                                                            and type(value) is not type(hit.value)):
            return False
        if condition:
            truth = _truth(value)
            same = hit.truth is not None and truth == hit.truth
        else:
            same = hit.known and key(value) == key(hit.value)
        if hit.failing:
            changed = changed or not same
        elif not same and (condition or hit.known):
            return False
    return changed and not _constant_in_disguise(expr, hits, condition)


def _constant_in_disguise(expr: Expr, hits: Sequence[Hit], condition: bool) -> bool:
    """One answer on every hit where the code's varied: `(i % 2 == 1) < 2` is `True` (a bool is below 2),
    a condition deleted in a form no template or risk check recognises (bench/bugs luhn: a wrong claim)."""
    # Only where the code's answers varied enough that one answer throughout is no coincidence of a
    # few hits (`n == 0` -> `n <= 1` is True on both hits of fib(0) and fib(1)).
    if condition:
        truths = [h.truth for h in hits]
        varied = truths.count(True) >= 2 and truths.count(False) >= 2
        return varied and len({_truth(v) for v in expr.values}) == 1
    varied = len({key(h.value) for h in hits if h.known}) >= 3
    return varied and len({key(v) for v in expr.values}) == 1


def _truth(value: Any) -> bool | None:
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - a recorded value is plain data; defensive only
        return None


def terminals(hits: Sequence[Hit], parts: Sequence[str], literals: Sequence[str]) -> list[Expr]:
    """Names bound on every hit, `obj.attr` of recorded objects, parts of the original expression, literals."""
    if not hits:
        return []
    common = set(hits[0].env).intersection(*(h.env for h in hits[1:]))
    texts: list[str] = []
    for name in sorted(common):
        if all(isinstance(h.env[name], SimpleNamespace) for h in hits):
            attrs = set(vars(hits[0].env[name])).intersection(*(vars(h.env[name]) for h in hits[1:]))
            texts += [f"{name}.{a}" for a in sorted(attrs)]
        else:
            texts.append(name)
    out: list[Expr] = []
    for text in dict.fromkeys([*parts, *texts, *literals]):
        expr = _evaluated(text, hits)
        if expr is not None:
            out.append(expr)
    return out


def _evaluated(text: str, hits: Sequence[Hit]) -> Expr | None:
    try:
        tree = ast.parse(text, mode="eval")
        code = compile(tree, "<terminal>", "eval")
    except (SyntaxError, ValueError):
        return None
    names = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _SAFE_BUILTINS)
    values = []
    for hit in hits:
        if not names <= set(hit.env):
            return None
        try:
            values.append(eval(code, {"__builtins__": _SAFE_BUILTINS}, dict(hit.env)))  # noqa: S307 - plain data only
        except Exception:  # noqa: BLE001 - not defined on this data
            return None
    atomic = isinstance(tree.body, (ast.Name, ast.Constant, ast.Call, ast.Subscript, ast.Attribute, ast.List,
                                    ast.Tuple)) and not (isinstance(tree.body, ast.Constant)
                                                          and isinstance(tree.body.value, (int, float))
                                                          and tree.body.value < 0)
    return Expr(text, 1, names, tuple(values), atomic)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _small(v: Any) -> bool:
    """Results are kept small: no megabyte strings from repeated concatenation."""
    return not (isinstance(v, (str, list, tuple, bytes)) and len(v) > 10_000) and not (
        isinstance(v, float) and not math.isfinite(v)) and not (isinstance(v, int) and abs(v) > 10**12)


_UNARY: list[tuple[str, Callable[[Any], Any]]] = [
    ("{0} + 1", lambda a: a + 1 if _num(a) else _ERR),
    ("{0} - 1", lambda a: a - 1 if _num(a) else _ERR),
    ("len({0})", len),
    ("not {0}", lambda a: not a),
    ("[{0}]", lambda a: [a]),
    ("({0},)", lambda a: (a,)),
    ("-{0}", lambda a: -a if _num(a) else _ERR),
    ("abs({0})", lambda a: abs(a) if _num(a) else _ERR),
    ("{0}[0]", lambda a: a[0] if isinstance(a, (list, tuple, str)) else _ERR),
    ("{0}[-1]", lambda a: a[-1] if isinstance(a, (list, tuple, str)) else _ERR),
    ("{0}[1:]", lambda a: a[1:] if isinstance(a, (list, tuple, str)) else _ERR),
    ("{0}[:-1]", lambda a: a[:-1] if isinstance(a, (list, tuple, str)) else _ERR),
]
_SEQ = (list, tuple, str)
_BINARY: list[tuple[str, Callable[[Any, Any], Any], bool]] = [  # (format, function, commutative)
    ("{0} + {1}", lambda a, b: a + b if (_num(a) and _num(b)) or type(a) is type(b) else _ERR, False),
    ("{0} - {1}", lambda a, b: a - b if _num(a) and _num(b) else _ERR, False),
    ("{0} * {1}", lambda a, b: a * b if _num(a) and _num(b) else _ERR, True),
    ("{0} // {1}", lambda a, b: a // b if _num(a) and _num(b) else _ERR, False),
    ("{0} % {1}", lambda a, b: a % b if _num(a) and _num(b) else _ERR, False),
    ("{0} < {1}", lambda a, b: a < b if _alike(a, b) else _ERR, False),
    ("{0} <= {1}", lambda a, b: a <= b if _alike(a, b) else _ERR, False),
    ("{0} == {1}", lambda a, b: a == b if _alike(a, b) else _ERR, True),
    ("{0} != {1}", lambda a, b: a != b if _alike(a, b) else _ERR, True),
    ("min({0}, {1})", lambda a, b: min(a, b) if _alike(a, b) else _ERR, True),
    ("max({0}, {1})", lambda a, b: max(a, b) if _alike(a, b) else _ERR, True),
    ("{0} and {1}", lambda a, b: a and b, False),
    ("{0} or {1}", lambda a, b: a or b, False),
    ("{0}[{1}]", lambda a, b: a[b] if isinstance(a, _SEQ) and isinstance(b, int) else _ERR, False),
    ("{0}[:{1}]", lambda a, b: a[:b] if isinstance(a, _SEQ) and isinstance(b, int) else _ERR, False),
    ("{0}[{1}:]", lambda a, b: a[b:] if isinstance(a, _SEQ) and isinstance(b, int) else _ERR, False),
    ("[{0}, {1}]", lambda a, b: [a, b], False),
]
_ATOMIC_FORMS = ("len(", "min(", "max(", "abs(", "[")
# Operators a fix seldom needs, so an expression built with them is offered after plainer ones of its
# size (`n < 2` before `not (n // 2)`): they pass weak tests by accident more often than they fix.
FORM_COST = {"{0} * {1}": 1, "{0} // {1}": 2, "{0} % {1}": 2, "not {0}": 1, "-{0}": 1, "abs({0})": 1,
             "({0},)": 1, "[{0}, {1}]": 1, "{0} and {1}": 1, "{0} or {1}": 1}


def _alike(a: Any, b: Any) -> bool:
    """A truth value is compared (or min/max-ed) with a truth value only: `n == (n != 0)` and
    `(i % 2 == 1) < 2` are the int-ness of bool, not code anyone writes (bench/bugs fib, luhn)."""
    return (type(a) is bool) == (type(b) is bool)


def _apply(fn: Callable, *operands: tuple) -> tuple | None:
    values = []
    for args in zip(*operands):
        if any(a is _ERR for a in args):
            return None
        try:
            value = fn(*args)
        except Exception:  # noqa: BLE001 - the operator does not apply to these values
            return None
        if value is _ERR or not _small(value):
            return None
        values.append(value)
    return tuple(values)


def _delimited(form: str, index: int) -> bool:
    """Is placeholder `index` of `form` already enclosed (a call's argument, a list item, a subscript)?"""
    at = form.index("{%d}" % index)
    before, after = form[:at].rstrip(), form[at + 3 :].lstrip()
    return before.endswith(("(", "[", ",", ":")) and after.startswith((")", "]", ",", ":"))


def _made(form: str, parts: Sequence[Expr], values: tuple) -> Expr:
    text = form.format(*(p.text if p.atomic or _delimited(form, i) else f"({p.text})" for i, p in enumerate(parts)))
    atomic = form.startswith(_ATOMIC_FORMS) or form.startswith("{0}[") or form.startswith("(")
    return Expr(text, 1 + sum(p.size for p in parts), frozenset().union(*(p.names for p in parts)), values, atomic,
                1 + sum(p.cost for p in parts) + FORM_COST.get(form, 0))


def enumerate_fixes(hits: Sequence[Hit], base: Sequence[Expr], *, condition: bool, original: str,
                    limit: int = 60, deadline: float | None = None) -> list[Expr]:
    """Expressions that qualify on `hits`, smallest first, at most `limit` (see the module doc)."""
    placeholder = original.strip() == "None"
    banks: dict[int, list[Expr]] = {1: []}
    seen: set[tuple] = set()
    found: list[Expr] = []

    def keep(expr: Expr | None) -> bool:
        if expr is None:
            return True
        if not expr.names:  # a literal is an operand only; constant arithmetic is never a fix
            if expr.size == 1:
                banks[1].append(expr)
            return True
        signature = tuple(key(v) for v in expr.values)
        if signature not in seen:  # only the smallest of equal-valued expressions is built upon
            seen.add(signature)
            banks.setdefault(expr.size, []).append(expr)
        # ... but every one that qualifies is offered: on a few hits, different code can agree by chance.
        if expr.text != original and qualifies(expr, hits, condition, placeholder):
            found.append(expr)
        return len(found) < limit and (deadline is None or time.monotonic() < deadline)

    for expr in base:
        if not keep(expr):
            return found
    for size in range(2, MAX_SIZE + 1):
        for form, fn in _UNARY:
            for a in banks.get(size - 1, [])[:BANK_LIMIT]:
                if form == "not {0}" and a.text.startswith("not "):
                    continue
                # `(x - 1) - 1` is `x - 2` written by a search, not by a person: a step of one is not stacked
                # (inventory: `(item.reorder_to - 1) - 1` went to the gates as a rival of the fix).
                if form in ("{0} + 1", "{0} - 1") and a.text.endswith((" + 1", " - 1")):
                    continue
                values = _apply(fn, a.values)
                if not keep(_made(form, [a], values) if values is not None else None):
                    return found
        for left in range(1, size - 1):
            right = size - 1 - left
            for form, fn, commutative in _BINARY:
                for a in banks.get(left, [])[:BANK_LIMIT]:
                    for b in banks.get(right, [])[:BANK_LIMIT]:
                        if (commutative and left == right and a.text >= b.text) or a.text == b.text:
                            continue
                        values = _apply(fn, a.values, b.values)
                        if not keep(_made(form, [a, b], values) if values is not None else None):
                            return found
    return found
