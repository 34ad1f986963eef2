"""Static anti-patterns of a candidate patch, read off the ASTs of each changed function before and after.

Tan et al. (FSE 2016, "Anti-patterns in search-based program repair") name the edits that make a
failing test pass without repairing anything: an early exit that leaves the original code
unreachable, a deleted loop or branch body, a condition replaced by a constant, and a deleted
call. To these, `inverts_result`: a returned predicate flipped whole (`return a == b` ->
`return a != b`) answers the opposite for every input, which the visible tests can only miss;
and three that break what the original states by its very form (see "code-stated invariants"
below): `breaks_symmetry`, `unmatched_guard` and `contradicts_annotation`.

A patch with one of these passes the gates but is weakly evidenced: it loses to any passing rival
without one, and alone it is reported as plausible, never applied (agent/fix/choose.py and
agent/fix/select.py). This module is the one home of those checks; the gates record what it finds
on every verdict (`GateVerdict.anti_patterns`), for the rule engine's and the model's patches alike.

Each check compares the function before and after, so code the user already had (a `while True:`,
a dead line after a `return`) is never held against the patch. (Over 600 lines, one concept: the
anti-pattern checks, each a short section, sharing the AST helpers above them.)
"""

from __future__ import annotations

import ast
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from suture.retrieval.positions import source_lines

__all__ = ["AntiPattern", "ANTI_PATTERN_WORDS", "Review", "anti_pattern_sentences", "anti_patterns", "change_size", "of_files",
           "review"]

UNREACHABLE = "unreachable_code"
DELETES_LOOP = "deletes_loop"
DELETES_BRANCH = "deletes_branch"
CONSTANT_CONDITION = "constant_condition"
INVERTS_RESULT = "inverts_result"
DROPS_CALL = "drops_call"
BREAKS_SYMMETRY = "breaks_symmetry"
UNMATCHED_GUARD = "unmatched_guard"
CONTRADICTS_ANNOTATION = "contradicts_annotation"
SPLITS_CONVENTION = "splits_convention"

ANTI_PATTERN_WORDS = {
    UNREACHABLE: "makes existing statements unreachable",
    DELETES_LOOP: "deletes a loop",
    DELETES_BRANCH: "deletes a branch body",
    CONSTANT_CONDITION: "replaces a condition by a constant",
    INVERTS_RESULT: "inverts what the function returns",
    DROPS_CALL: "drops a call",
    BREAKS_SYMMETRY: "breaks the function's symmetry in two parameters",
    UNMATCHED_GUARD: "adds an element its membership check does not test",
    CONTRADICTS_ANNOTATION: "returns what the function's own annotations rule out",
    SPLITS_CONVENTION: "shifts a parameter in one function and leaves a sibling that reads it alike as it was",
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


@dataclass
class Review:
    """What the gates record of a patch before its code runs (GateVerdict.anti_patterns, .ast_change)."""

    anti_patterns: list[dict[str, str]]
    ast_change: int


def review(files: Iterable[tuple[str, str | None, str]]) -> Review:
    """The anti-patterns of a patch and the AST nodes it changes: `files` are (path, base source or
    None for a new file, new source) of its changed Python files. Each file is parsed once, and
    only the code whose text changed is walked (a big module costs its parse, not a traversal)."""
    found: list[dict[str, str]] = []
    size = 0
    for path, before, after in files:
        pair = _parsed(before or "", after)
        if pair is None:
            continue
        try:
            size += _change_size(*pair)
            if before is not None:
                found += [{"name": p.name, "detail": f"{path}: {p.detail}"} for p in _anti_patterns(*pair)]
        except RecursionError:  # code nested past the interpreter's limit: nothing to say about it
            continue
    return Review(found, size)


def of_files(files: Iterable[tuple[str, str | None, str]]) -> list[dict[str, str]]:
    """The anti-patterns of a patch, as the verdict records them (see `review`)."""
    return review(files).anti_patterns


def change_size(files: Iterable[tuple[str, str | None, str]]) -> int:
    """How many AST nodes a patch changes, about as a tree edit distance with unit costs: per file,
    the larger of the node labels it removes and those it adds (a swapped operator counts 1,
    wrapping a test in `not (...)` 2). A file that does not parse counts 0: the diff size speaks."""
    return review(files).ast_change


def anti_pattern_sentences(found: Iterable[dict[str, str]]) -> list[str]:
    """A verdict's anti-patterns as the report says them: "makes existing statements unreachable (...)"."""
    return [AntiPattern(item["name"], item["detail"]).sentence() for item in found]


def anti_patterns(before: str, after: str) -> list[AntiPattern]:
    """The anti-patterns the change from `before` to `after` (one file's sources) brings into the
    functions both versions define. A file that does not parse has none (the parse gate speaks)."""
    pair = _parsed(before, after)
    try:
        return _anti_patterns(*pair) if pair is not None else []
    except RecursionError:
        return []


@dataclass
class _Parsed:
    tree: ast.Module
    lines: list[str]

    def text(self, node: ast.AST) -> str:
        """The node's whole lines as written (decorators left out): equal texts, unchanged code."""
        return "".join(self.lines[node.lineno - 1 : node.end_lineno])


def _parsed(before: str, after: str) -> tuple[_Parsed, _Parsed] | None:
    try:
        return (_Parsed(ast.parse(before), source_lines(before)), _Parsed(ast.parse(after), source_lines(after)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _anti_patterns(old: _Parsed, new: _Parsed) -> list[AntiPattern]:
    old_functions, new_functions = _functions(old.tree), _functions(new.tree)
    found: list[AntiPattern] = []
    for name, after in new_functions.items():
        before = old_functions.get(name)
        if before is None or old.text(before) == new.text(after):
            continue
        for check in _CHECKS:
            found.extend(check(before, after))
    found.extend(_convention_check(old, new, old_functions, new_functions))
    return list(dict.fromkeys(found))


def _change_size(old: _Parsed, new: _Parsed) -> int:
    """Labels of the nodes in the top-level statements whose text changed, removed vs added."""
    old_texts = Counter(old.text(s) for s in old.tree.body)
    new_texts = Counter(new.text(s) for s in new.tree.body)
    gone, come = old_texts - new_texts, new_texts - old_texts
    removed = Counter(_label(n) for s in old.tree.body if gone[old.text(s)] for n in ast.walk(s))
    added = Counter(_label(n) for s in new.tree.body if come[new.text(s)] for n in ast.walk(s))
    moved = max(sum((removed - added).values()), sum((added - removed).values()))
    # The label multisets miss a permutation: `a - b + z` -> `a + b - z` keeps one `+` and one `-`.
    # Where a changed statement keeps its shape, count the nodes relabelled in place instead.
    if len(old.tree.body) != len(new.tree.body):
        return moved
    relabelled = 0
    for before, after in zip(old.tree.body, new.tree.body):
        if old.text(before) != new.text(after):
            count = _relabelled(before, after)
            if count is None:
                return moved
            relabelled += count
    return max(moved, relabelled)


def _relabelled(old: ast.AST, new: ast.AST) -> int | None:
    """How many nodes differ in their own label between two trees of the same shape (the same
    number of children at every node, in walk order); None when the shapes differ."""
    a, b = list(ast.walk(old)), list(ast.walk(new))
    shape = lambda nodes: [len(list(ast.iter_child_nodes(n))) for n in nodes]  # noqa: E731
    if len(a) != len(b) or shape(a) != shape(b):
        return None
    return sum(_label(x) != _label(y) for x, y in zip(a, b))


def _label(node: ast.AST) -> str:
    """A node's own label: its type and plain fields (a name, a constant), not its children."""
    plain = [f"{k}={v!r}" for k, v in ast.iter_fields(node) if not isinstance(v, (ast.AST, list))]
    return type(node).__name__ + "(" + ",".join(plain) + ")"


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


def _key(node: ast.AST) -> int:
    """A fingerprint of a node's structure (as `ast.dump` without positions would spell it), made
    bottom-up once per node: the checks compare whole statements, and dumping each of them anew
    cost a big function quadratic time."""
    cached = getattr(node, "_suture_key", None)
    if cached is None:
        parts: list[object] = [type(node).__name__]
        for _name, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                parts.append(_key(value))
            elif isinstance(value, list):
                parts.append(tuple(_key(v) if isinstance(v, ast.AST) else repr(v) for v in value))
            else:
                parts.append(repr(value))
        cached = hash(tuple(parts))
        node._suture_key = cached  # ast nodes take attributes; the trees are this review's own
    return cached


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


# -- code-stated invariants ----------------------------------------------------------------------
# Edits that pass the tests by breaking an invariant the original states by its very form (invariant-
# based patch assessment, as Invalidator, Le-Cong et al., TSE 2023, with the invariants read off the
# code instead of mined from runs). Each holds only where the original had it, so code already
# asymmetric or unmatched is never held against a patch; a repair restores such an invariant, the
# seeded faults and bench bugs never break one (bench/RESULTS.md, issue 17, session 33).
#
# Symmetry: the original reads two parameters alike (`min(a[0], b[0])`, `max(a[1], b[1])`: swapping
# them changes nothing), the patch does not (`max(a[2], b[3])`), so its answer now depends on the
# arguments' order. Only min/max's arguments and the sides of `==`/`!=` count as interchangeable
# (`a + b` is not: strings concatenate), and only parameters without defaults that the body uses.

_COMMUTATIVE_CALLS = frozenset({"min", "max"})
_MAX_PARAMETERS = 8  # pairs of parameters tried: 28 at most


def _canonical(node: ast.AST, rename: dict[str, str]) -> str:
    """`node` spelled with names renamed and the order of interchangeable operands dropped."""
    if isinstance(node, ast.Name):
        return f"N:{rename.get(node.id, node.id)}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _COMMUTATIVE_CALLS \
            and len(node.args) >= 2 and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args):
        return f"{node.func.id}({','.join(sorted(_canonical(a, rename) for a in node.args))})"
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
        sides = sorted(_canonical(side, rename) for side in (node.left, node.comparators[0]))
        return f"{type(node.ops[0]).__name__}({','.join(sides)})"
    parts = []
    for _name, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            parts.append(_canonical(value, rename))
        elif isinstance(value, list):
            parts.append("[" + ",".join(_canonical(v, rename) if isinstance(v, ast.AST) else repr(v) for v in value) + "]")
        else:
            parts.append(repr(value))
    return f"{type(node).__name__}({','.join(parts)})"


def _symmetric_pairs(function: ast.AST, among: Iterable[tuple[str, str]] | None = None) -> set[tuple[str, str]]:
    """The pairs of parameters (of `among`, else all) that the function reads alike."""
    arguments = function.args
    positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    plain = positional[: len(positional) - len(arguments.defaults)][:_MAX_PARAMETERS]
    uses = Counter(n.id for n in ast.walk(function) if isinstance(n, ast.Name))
    body = [_canonical(s, {}) for s in function.body]
    pairs = set()
    for a, b in among if among is not None else itertools.combinations(plain, 2):
        if a in plain and b in plain and uses[a] and uses[a] == uses[b] \
                and [_canonical(s, {a: b, b: a}) for s in function.body] == body:
            pairs.add((a, b))
    return pairs


def _symmetry_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    kept = _symmetric_pairs(old)
    if not kept:
        return
    for a, b in sorted(kept - _symmetric_pairs(new, kept)):
        simple = [s for s in _statements(new) if not hasattr(s, "body")]
        plain = Counter(_canonical(s, {}) for s in simple)
        odd = next((s for s in simple if plain[_canonical(s, {a: b, b: a})] == 0), None)
        where = f"; line {odd.lineno} `{_short(odd)}` does not" if odd is not None else ""
        yield AntiPattern(BREAKS_SYMMETRY, f"`{getattr(new, 'name', '')}` read `{a}` and `{b}` alike{where}")


# A membership check and what it guards: `if x not in seen: seen.add(x)` (visit once, dedupe, memo)
# checks the element it then records. A patch that keeps the check on one element and records
# another under it (`if nxt not in visited: visited.add(node)`) tests one thing and remembers a
# different one. Only a container the original guarded with a matching check counts.

_INSERTS = frozenset({"add", "append", "setdefault", "appendleft"})


def _guards(function: ast.AST) -> list[tuple[tuple[int, int], bool, ast.expr, ast.expr | None]]:
    """Each `if x not in s:` whose body records something in `s`: ((x, s) keys, records x itself,
    the test, the first other element recorded)."""
    found = []
    for node in _own_nodes(function):
        if not isinstance(node, ast.If):
            continue
        tests = node.test.values if isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.And) \
            else [node.test]
        for test in tests:
            if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotIn)):
                continue
            element, container = _key(test.left), _key(test.comparators[0])
            recorded = []
            for inner in (n for stmt in node.body for n in ast.walk(stmt)):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.args \
                        and inner.func.attr in _INSERTS and _key(inner.func.value) == container:
                    recorded.append(inner.args[0])
                elif isinstance(inner, (ast.Assign, ast.AugAssign)):
                    targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                    recorded += [t.slice for t in targets if isinstance(t, ast.Subscript) and _key(t.value) == container]
            if recorded:
                matched = any(_key(r) == element for r in recorded)
                found.append(((element, container), matched, test, None if matched else recorded[0]))
    return found


def _guard_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    before = _guards(old)
    matched = {keys[1] for keys, ok, _, _ in before if ok}
    unmatched = {keys for keys, ok, _, _ in before if not ok}
    for keys, ok, test, other in _guards(new):
        if not ok and keys[1] in matched and keys not in unmatched:
            yield AntiPattern(UNMATCHED_GUARD, f"line {test.lineno} checks `{_short(test)}` but records `{_short(other)}`")


# Annotations: a new `return p` of a parameter annotated with another type than the one the function
# says it returns (`def name(f: Callable) -> str: ... return f`), where that return type is a plain
# scalar no other annotation converts to (an int is a float, a bool an int).

_SCALARS = frozenset({"str", "int", "float", "bool", "bytes"})
_WIDENS = {"float": {"int", "bool"}, "int": {"bool"}}


def _annotation_check(old: ast.AST, new: ast.AST) -> Iterator[AntiPattern]:
    wanted = new.returns.id if isinstance(new.returns, ast.Name) else None
    if wanted not in _SCALARS:
        return
    arguments = new.args
    declared = {a.arg: a.annotation for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                if a.annotation is not None}
    had = Counter(_key(n) for n in _own_nodes(old) if isinstance(n, ast.Return))
    for node in _own_nodes(new):
        if not (isinstance(node, ast.Return) and isinstance(node.value, ast.Name)) or _take(had, _key(node)):
            continue
        annotation = declared.get(node.value.id)
        text = _short(annotation) if annotation is not None else ""
        if text and text != wanted and text not in _WIDENS.get(wanted, ()) and text != "Any":
            yield AntiPattern(CONTRADICTS_ANNOTATION, f"line {node.lineno} returns `{node.value.id}` (annotated "
                                                      f"`{text}`) where the function returns `{wanted}`")


# Shared conventions: two functions of a module read a parameter of the same name against the same
# other parameter in one arithmetic form (`offset_for(page, per_page)`: `page * per_page`;
# `has_next(page, per_page, total)`: `(page + 1) * per_page`), so they agree on what `page` counts
# from. A patch that shifts it in one of them (`(page - 1) * per_page`: pages now start at 1) and
# leaves the other as it was makes the module disagree with itself: the sibling still counts the
# old way, and a repair of the convention changes both (bench/bugs paged_api: the one-function
# patch passes every visible test, the walk over all pages fails). Only an integer offset of a
# parameter, times/divided by/modulo another parameter, in a function the patch leaves unchanged.

_FORM_OPS = (ast.Mult, ast.FloorDiv, ast.Div, ast.Mod)


def _parameters(function: ast.AST) -> set[str]:
    arguments = function.args
    return {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}


def _offset(node: ast.expr, names: set[str]) -> tuple[str, int] | None:
    """`p` -> (p, 0), `p + 2` / `2 + p` -> (p, 2), `p - 1` -> (p, -1), for a name `p` of `names`."""
    if isinstance(node, ast.Name) and node.id in names:
        return node.id, 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        for name, constant, sign in ((node.left, node.right, 1), (node.right, node.left, 1)):
            if isinstance(node.op, ast.Sub):
                if name is node.right:
                    continue
                sign = -1
            if isinstance(name, ast.Name) and name.id in names and isinstance(constant, ast.Constant) \
                    and type(constant.value) is int:
                return name.id, sign * constant.value
    return None


def _forms(function: ast.AST) -> list[tuple[tuple[str, str, str, int], int, ast.BinOp]]:
    """Each `(p + k) op q` of two parameters: ((p, op, q, side of p), k, the node)."""
    names = _parameters(function)
    found = []
    for node in _own_nodes(function):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, _FORM_OPS)):
            continue
        for side, shifted, other in ((0, node.left, node.right), (1, node.right, node.left)):
            offset = _offset(shifted, names)
            if offset is not None and isinstance(other, ast.Name) and other.id in names and other.id != offset[0]:
                found.append(((offset[0], type(node.op).__name__, other.id, side), offset[1], node))
    return found


def _convention_check(old: _Parsed, new: _Parsed, old_functions: dict[str, ast.AST],
                      new_functions: dict[str, ast.AST]) -> Iterator[AntiPattern]:
    unchanged = {name: f for name, f in new_functions.items()
                 if name in old_functions and old.text(old_functions[name]) == new.text(f)}
    for name, after in new_functions.items():
        before = old_functions.get(name)
        if before is None or name in unchanged:
            continue
        was, now = _forms(before), _forms(after)
        for key in dict.fromkeys(key for key, _, _ in now):
            olds = [k for form, k, _ in was if form == key]
            news = [(k, n) for form, k, n in now if form == key]
            # The same forms with other offsets (else another kind of edit), one shifted.
            shifted = [(k, n) for k_old, (k, n) in zip(olds, news) if k != k_old] if len(olds) == len(news) else []
            if len(shifted) != 1:
                continue
            k_new, node = shifted[0]
            k_old = olds[news.index(shifted[0])]
            sibling = next(((other, n) for other, f in unchanged.items() if other != name
                            for form, _, n in _forms(f) if form == key), None)
            if sibling is not None:
                shift = k_new - k_old
                yield AntiPattern(SPLITS_CONVENTION, f"line {node.lineno} shifts `{key[0]}` by {shift:+d} in "
                                                     f"`{name}` (`{_short(node)}`); `{sibling[0]}` still reads "
                                                     f"`{_short(sibling[1])}`")


_CHECKS = (_unreachable_check, _deletion_check, _constant_check, _inverted_check, _dropped_call_check,
           _symmetry_check, _guard_check, _annotation_check)
