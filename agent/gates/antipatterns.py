"""Static anti-patterns of a candidate patch, read off the ASTs of each changed function before and after.

Tan et al. (FSE 2016, "Anti-patterns in search-based program repair") name the edits that make a
failing test pass without repairing anything: an early exit that leaves the original code
unreachable, a deleted loop or branch body, a condition replaced by a constant, and a deleted
call. To these, `inverts_result`: a returned predicate flipped whole (`return a == b` ->
`return a != b`) answers the opposite for every input, which the visible tests can only miss.

A patch with one of these passes the gates but is weakly evidenced: it loses to any passing rival
without one, and alone it is reported as plausible, never applied (agent/fix/choose.py and
agent/fix/select.py). This module is the one home of those checks; the gates record what it finds
on every verdict (`GateVerdict.anti_patterns`), for the rule engine's and the model's patches alike.

Each check compares the function before and after, so code the user already had (a `while True:`,
a dead line after a `return`) is never held against the patch.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["AntiPattern", "ANTI_PATTERN_WORDS", "anti_pattern_sentences", "anti_patterns", "change_size", "of_files"]

UNREACHABLE = "unreachable_code"
DELETES_LOOP = "deletes_loop"
DELETES_BRANCH = "deletes_branch"
CONSTANT_CONDITION = "constant_condition"
INVERTS_RESULT = "inverts_result"
DROPS_CALL = "drops_call"

ANTI_PATTERN_WORDS = {
    UNREACHABLE: "makes existing statements unreachable",
    DELETES_LOOP: "deletes a loop",
    DELETES_BRANCH: "deletes a branch body",
    CONSTANT_CONDITION: "replaces a condition by a constant",
    INVERTS_RESULT: "inverts what the function returns",
    DROPS_CALL: "drops a call",
}

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


@dataclass(frozen=True)
class AntiPattern:
    name: str
    detail: str  # where and what, one clause: "line 5 `ordered = sorted(values)` can no longer run"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "detail": self.detail}

    def sentence(self) -> str:
        return f"{ANTI_PATTERN_WORDS.get(self.name, self.name)} ({self.detail})"


def of_files(files: Iterable[tuple[str, str | None, str]]) -> list[dict[str, str]]:
    """The anti-patterns of a patch, as the verdict records them: `files` are (path, base source or
    None for a new file, new source) of its changed Python files."""
    found: list[dict[str, str]] = []
    for path, before, after in files:
        if before is None:
            continue
        for pattern in anti_patterns(before, after):
            found.append({"name": pattern.name, "detail": f"{path}: {pattern.detail}"})
    return found


def anti_pattern_sentences(found: Iterable[dict[str, str]]) -> list[str]:
    """A verdict's anti-patterns as the report says them: "makes existing statements unreachable (...)"."""
    return [AntiPattern(item["name"], item["detail"]).sentence() for item in found]


def change_size(files: Iterable[tuple[str, str | None, str]]) -> int:
    """How many AST nodes a patch changes, about as a tree edit distance with unit costs: per file,
    the larger of the node labels it removes and those it adds (a swapped operator counts 1,
    wrapping a test in `not (...)` 2). A file that does not parse counts its changed lines' worth
    of nothing: 0, the diff size already speaks for it."""
    total = 0
    for _path, before, after in files:
        try:
            old = Counter(_label(n) for n in ast.walk(ast.parse(before or "")))
            new = Counter(_label(n) for n in ast.walk(ast.parse(after)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        total += max(sum((old - new).values()), sum((new - old).values()))
    return total


def _label(node: ast.AST) -> str:
    """A node's own label: its type and plain fields (a name, a constant), not its children."""
    plain = [f"{k}={v!r}" for k, v in ast.iter_fields(node) if not isinstance(v, (ast.AST, list))]
    return type(node).__name__ + "(" + ",".join(plain) + ")"


def anti_patterns(before: str, after: str) -> list[AntiPattern]:
    """The anti-patterns the change from `before` to `after` (one file's sources) brings into the
    functions both versions define. A file that does not parse has none (the parse gate speaks)."""
    try:
        old_tree, new_tree = ast.parse(before), ast.parse(after)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    old_functions, new_functions = _functions(old_tree), _functions(new_tree)
    found: list[AntiPattern] = []
    for name, new in new_functions.items():
        old = old_functions.get(name)
        if old is None or ast.dump(old) == ast.dump(new):
            continue
        for check in _CHECKS:
            found.extend(check(old, new))
    return list(dict.fromkeys(found))


def _functions(tree: ast.Module) -> dict[str, ast.AST]:
    """Functions and methods by qualified name (the first of a redefined name)."""
    found: dict[str, ast.AST] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (*_FUNCTIONS, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if isinstance(child, _FUNCTIONS):
                    found.setdefault(name, child)
                visit(child, name + ".")
            elif isinstance(child, ast.stmt):
                visit(child, prefix)

    visit(tree, "")
    return found


def _own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The function's own nodes: nested functions, classes and lambdas are other code."""
    stack = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _statements(function: ast.AST) -> list[ast.stmt]:
    return [n for n in _own_nodes(function) if isinstance(n, ast.stmt)]


def _key(node: ast.AST) -> str:
    return ast.dump(node)


def _short(node: ast.AST, limit: int = 40) -> str:
    try:
        text = " ".join(ast.unparse(node).split())
    except Exception:  # noqa: BLE001 - unparse of an odd node only costs the quote
        return type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _head(stmt: ast.stmt) -> str:
    """A statement's first line as written, for a message (`for x in xs:`, `if a < b:`)."""
    text = _short(stmt, 60).split(":")[0]
    return text + ":" if isinstance(stmt, (ast.If, *_LOOPS, ast.With, ast.Try)) else text


def _take(counts: Counter, key: str) -> bool:
    """Use up one of `key` in `counts`; False when none is left."""
    if counts[key] <= 0:
        return False
    counts[key] -= 1
    return True


# -- unreachable code --------------------------------------------------------------------------


def _constant_truth(test: ast.expr) -> bool | None:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _constant_truth(test.operand)
        return None if inner is None else not inner
    return None


def _has_break(loop: ast.AST) -> bool:
    """A `break` that leaves this loop (not one of an inner loop)."""
    stack = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return True
        if isinstance(node, (*_LOOPS, *_FUNCTIONS, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _ends(block: list[ast.stmt]) -> bool:
    """No path runs past the end of `block`."""
    return any(_stops(stmt) for stmt in block)


def _stops(stmt: ast.stmt) -> bool:
    """Every path through `stmt` leaves the block it is in (returns, raises, breaks, continues,
    or loops for ever)."""
    if isinstance(stmt, _EXITS):
        return True
    if isinstance(stmt, ast.If):
        truth = _constant_truth(stmt.test)
        if truth is True:
            return _ends(stmt.body)
        if truth is False:
            return _ends(stmt.orelse)
        return bool(stmt.orelse) and _ends(stmt.body) and _ends(stmt.orelse)
    if isinstance(stmt, ast.While):
        return _constant_truth(stmt.test) is True and not _has_break(stmt)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return _ends(stmt.body)  # a context manager may swallow an exception; rare enough to ignore
    if isinstance(stmt, ast.Try):
        if stmt.finalbody and _ends(stmt.finalbody):
            return True
        return _ends(stmt.body) and not stmt.orelse and all(_ends(h.body) for h in stmt.handlers)
    return False


def _unreachable(function: ast.AST) -> list[ast.stmt]:
    """Statements no path reaches: those after a statement that always leaves their block."""
    dead: list[ast.stmt] = []
    for node in [function, *_own_nodes(function)]:
        if isinstance(node, (ast.ClassDef, ast.Lambda)) or (node is not function and isinstance(node, _FUNCTIONS)):
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block[:-1]):
                if _stops(stmt):
                    dead.extend(block[i + 1:])
                    break
        for handler in getattr(node, "handlers", ()):
            for i, stmt in enumerate(handler.body[:-1]):
                if _stops(stmt):
                    dead.extend(handler.body[i + 1:])
                    break
    return dead


def _unreachable_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    """Statements of the original that ran (somewhere) and now never can: an early exit inserted
    before them. A guard (`if x is None: return 0`) leaves a path past it, so it is no exit."""
    was_dead = Counter(_key(s) for s in _unreachable(old))
    original = Counter(_key(s) for s in _statements(old))
    newly = [s for s in _unreachable(new) if original[_key(s)] > was_dead[_key(s)]]
    if newly:
        first = newly[0]
        more = f" and {len(newly) - 1} more" if len(newly) > 1 else ""
        yield AntiPattern(UNREACHABLE, f"line {first.lineno} `{_short(first)}`{more} can no longer run")


# -- deleted loops and branch bodies -----------------------------------------------------------


def _header(stmt: ast.stmt) -> str:
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return f"for {_key(stmt.target)} {_key(stmt.iter)}"
    return f"{type(stmt).__name__} {_key(stmt.test)}"


def _survives(block: list[ast.stmt], present: Counter) -> bool:
    """Most of `block`'s statements are still somewhere in the new function (a header edited, a
    condition dropped or a statement moved keeps them; a deletion does not)."""
    real = [s for s in block if not isinstance(s, ast.Pass)]
    if not real:
        return True
    kept = sum(1 for s in real if present[_key(s)] > 0)
    return kept * 2 >= len(real)


def _is_empty(block: list[ast.stmt]) -> bool:
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                           and s.value.value is Ellipsis) for s in block)


def _deletion_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    """A loop or a branch of the original whose body is gone: deleted with its header, or its
    body emptied to `pass`, or an `else:` removed."""
    new_statements = _statements(new)
    present = Counter(_key(s) for s in new_statements)
    headers: dict[str, list[ast.stmt]] = {}
    for stmt in new_statements:
        if isinstance(stmt, (ast.If, *_LOOPS)):
            headers.setdefault(_header(stmt), []).append(stmt)
    for stmt in _statements(old):
        if not isinstance(stmt, (ast.If, *_LOOPS)):
            continue
        name = DELETES_LOOP if isinstance(stmt, _LOOPS) else DELETES_BRANCH
        what = "loop" if name == DELETES_LOOP else "branch"
        twins = headers.get(_header(stmt), [])
        if not twins:
            if not _survives(stmt.body, present):
                yield AntiPattern(name, f"the {what} `{_head(stmt)}` (line {stmt.lineno}) and its body are gone")
            continue
        twin = twins[0]
        if not _is_empty(stmt.body) and _is_empty(twin.body):
            yield AntiPattern(name, f"the body of `{_head(stmt)}` (line {stmt.lineno}) is emptied")
        elif stmt.orelse and not twin.orelse and not _survives(stmt.orelse, present):
            yield AntiPattern(DELETES_BRANCH, f"the `else` of `{_head(stmt)}` (line {stmt.lineno}) is gone")


# -- constant conditions -----------------------------------------------------------------------


def _constant_like(test: ast.expr) -> bool:
    """A test whose value the code does not decide: a literal, its negation, or an and/or holding one."""
    if _constant_truth(test) is not None:
        return True
    return isinstance(test, ast.BoolOp) and any(_constant_truth(v) is not None for v in test.values)


def _tests(function: ast.AST) -> list[ast.expr]:
    found = []
    for node in _own_nodes(function):
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            found.append(node.test)
        elif isinstance(node, ast.comprehension):
            found.extend(node.ifs)
    return found


def _constant_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    was = Counter(_key(t) for t in _tests(old) if _constant_like(t))
    for test in _tests(new):
        if _constant_like(test) and not _take(was, _key(test)):
            yield AntiPattern(CONSTANT_CONDITION, f"line {test.lineno} tests `{_short(test)}`")


# -- an inverted returned predicate -------------------------------------------------------------

_NEGATED_OPS = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
                ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


def _negates(a: ast.expr, b: ast.expr) -> bool:
    """`b` is the logical negation of `a` as written: `x == y` / `x != y`, `p` / `not p`."""
    for one, other in ((a, b), (b, a)):
        if isinstance(other, ast.UnaryOp) and isinstance(other.op, ast.Not) and _key(other.operand) == _key(one):
            return True
    if isinstance(a, ast.Compare) and isinstance(b, ast.Compare) and len(a.ops) == len(b.ops) == 1:
        same_operands = _key(a.left) == _key(b.left) and _key(a.comparators[0]) == _key(b.comparators[0])
        return same_operands and _NEGATED_OPS.get(type(a.ops[0])) is type(b.ops[0])
    return False


def _inverted_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    old_returns = [n for n in _own_nodes(old) if isinstance(n, ast.Return) and n.value is not None]
    new_returns = [n for n in _own_nodes(new) if isinstance(n, ast.Return) and n.value is not None]
    if len(old_returns) != len(new_returns):
        return
    for before, after in zip(old_returns, new_returns):
        if _negates(before.value, after.value):
            yield AntiPattern(INVERTS_RESULT, f"line {after.lineno} returns `{_short(after.value)}` "
                                              f"where it returned `{_short(before.value)}`")


# -- a dropped call ----------------------------------------------------------------------------


def _call_statements(function: ast.AST) -> list[ast.Expr]:
    return [s for s in _statements(function) if isinstance(s, ast.Expr)
            and isinstance(s.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom))]


def _dropped_call_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    """A call made for its effect (a statement of its own) that the patch removes; one replaced by
    another call (a different method, an edited argument) is a change, not a drop."""
    old_calls, new_calls = _call_statements(old), _call_statements(new)
    if len(new_calls) >= len(old_calls):
        return
    left = Counter(_key(s) for s in new_calls)
    dropped = [s for s in old_calls if not _take(left, _key(s))]
    for stmt in dropped[: len(old_calls) - len(new_calls)]:
        yield AntiPattern(DROPS_CALL, f"line {stmt.lineno} `{_short(stmt)}` is no longer called")


_CHECKS = (_unreachable_check, _deletion_check, _constant_check, _inverted_check, _dropped_call_check)
