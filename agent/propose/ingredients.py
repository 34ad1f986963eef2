"""Ingredients from the code: fixes reuse code that exists nearby (SimFix, CapGen; the "plastic surgery" view).

Two kinds, both adapted to the place they go by renaming to the function's in-scope variables:
- `expression_ingredients`: expressions in the same role elsewhere (returned values for a
  `return`, conditions for an `if`/`while`, right-hand sides for an assignment) from the same
  function, then its siblings (the same class, or the module's functions), then the file. The
  synthesis probe run (agent/propose/synthesis.py) tries them in place before any is gated.
- `statement_ingredients`: short statements (augmented assignments and calls) from the
  same function, its siblings and the file, one name renamed to a local (`i += 1` -> `j += 1`:
  the pointer a branch forgot to advance), inserted after a suspicious statement of the same block.
  These go to the gates as they are (a statement cannot be tried in place).
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterator

from suture.agent.propose.templates import Mutation, SourceFile, Span
from suture.agent.propose.templates.source import _FUNCTIONS, _walk_own
from suture.agent.propose.templates.statements import _siblings

_BUILTINS = set(dir(builtins))
MAX_EXPRESSIONS = 12
MAX_STATEMENTS = 16
PER_PLACE = 8  # statements tried after one place, so a few places get a turn
# Statements that add a step (advance a pointer, record a value): an inserted plain assignment would
# mostly overwrite what the line before computed, a classic overfitting patch.
_STATEMENT_KINDS = (ast.AugAssign, ast.Expr)


def role(node: ast.AST, parent: ast.AST | None) -> str | None:
    """"return", "condition" or "value" for an expression in one of those places, else None."""
    if isinstance(parent, ast.Return) and parent.value is node:
        return "return"
    if isinstance(parent, (ast.If, ast.While)) and parent.test is node:
        return "condition"
    if isinstance(parent, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and parent.value is node:
        return "value"
    return None


def _functions_nearby(src: SourceFile, function: ast.AST) -> list[ast.AST]:
    """The function itself, its siblings (same class or module level), then every other function of the file."""
    parent = src.parent.get(function)
    siblings = [n for n in getattr(parent, "body", []) if isinstance(n, _FUNCTIONS) and n is not function]
    rest = [n for n in ast.walk(src.tree) if isinstance(n, _FUNCTIONS) and n is not function and n not in siblings]
    return [function, *siblings, *rest]


def _in_role(function: ast.AST, wanted: str) -> Iterator[ast.expr]:
    for node in _walk_own(function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) and role(child, node) == wanted:
                yield child


def _bound(src: SourceFile, function: ast.AST) -> set[str]:
    return set(src.facts(function).locals()) | src.module_names | _BUILTINS


def _renamings(src: SourceFile, text: str, bound: set[str], locals_: list[str]) -> list[str]:
    """`text` as it is when every name it reads is bound; else with its one unbound name replaced by
    each local (at most three) — two or more unbound names: no adaptation."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return []
    loads = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
    unbound = sorted({n.id for n in loads if n.id not in bound})
    if not unbound:
        return [text]
    if len(unbound) > 1:
        return []
    out = []
    for local in locals_[:3]:
        renamed = ast.unparse(_Rename({unbound[0]: local}).visit(ast.parse(text, mode="eval")))
        out.append(renamed)
    return out


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(self.mapping.get(node.id, node.id), node.ctx), node)


def expression_ingredients(src: SourceFile, function: ast.AST, site: ast.expr, wanted: str) -> list[str]:
    """Texts of expressions in the same role nearby, adapted to `function`'s scope, nearest first."""
    original = src.segment(site)
    bound = _bound(src, function)
    locals_ = [n for n in src.facts(function).locals() if n not in ("self", "cls")]
    out: list[str] = []
    for donor_function in _functions_nearby(src, function):
        for expr in _in_role(donor_function, wanted):
            text = src.segment(expr)
            if expr is site or "\n" in text or len(text) > 120 or _has_scope(expr):
                continue
            for adapted in _renamings(src, text, bound, locals_):
                if adapted != original and adapted not in out:
                    out.append(adapted)
            if len(out) >= MAX_EXPRESSIONS:
                return out
    return out


def _has_scope(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Yield,
                              ast.YieldFrom, ast.Await, ast.NamedExpr)) for n in ast.walk(node))


def statement_ingredients(src: SourceFile, function: ast.AST, weight: Callable[[int], float],
                          stepping: bool | None = None) -> Iterator[Mutation]:
    """Short statements from nearby, renamed to a local, inserted after a statement of `function`'s blocks.
    `stepping` True: only those that step a loop's unstepped name (see below); False: only the others."""
    for mutation, steps in _statement_mutations(src, function, weight):
        if stepping is None or steps == stepping:
            yield mutation


def _statement_mutations(src: SourceFile, function: ast.AST,
                         weight: Callable[[int], float]) -> Iterator[tuple[Mutation, bool]]:
    bound = _bound(src, function)
    locals_ = [n for n in src.facts(function).locals() if n not in ("self", "cls")]
    donors: list[str] = []
    for donor_function in _functions_nearby(src, function):
        for node in _walk_own(donor_function):
            if isinstance(node, _STATEMENT_KINDS) and node.lineno == node.end_lineno and not _has_scope(node) \
                    and not (isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call)):
                text = src.segment(node)
                if text not in donors:
                    donors.append(text)
    targets = [n for n in _walk_own(function) if isinstance(n, ast.stmt) and src.owns_lines(n)
               and not isinstance(n, (ast.Return, ast.Raise, ast.Continue, ast.Break, *_FUNCTIONS))
               and n.lineno == n.end_lineno]
    targets.sort(key=lambda n: -weight(n.lineno))
    made = 0
    offered: set[tuple[int, str]] = set()  # (offset, text): a hoisted statement reached from several places
    for stmt in targets[:6]:
        # A local first assigned below the place is unbound there (`visited.add(...)` above `visited = set()`,
        # `queue.append(...)` above `queue = deque(...)`): such a statement always fails; it is not offered.
        texts = [t for donor in donors for t in _statement_renamings(donor, bound, locals_)]
        # A loop whose condition reads a name its body never changes cannot end by that name: a statement
        # that steps it (`right -= 1` where only `left += 1` is) goes first at the places inside the loop.
        stuck = _unstepped(src, function, stmt)
        texts = sorted(dict.fromkeys(texts), key=lambda t: _steps(t) not in stuck)
        given = 0
        for text in texts:
            if made >= MAX_STATEMENTS:
                return
            if given >= PER_PLACE:
                break
            place = _place(src, function, stmt, text, locals_)
            if place is None or place in offered:
                continue
            offered.add(place)
            given += 1
            made += 1
            offset, line, insert = place[0], place[2], place[3]
            yield Mutation("ingredient", line, f"`{text}` (ingredient from nearby code) inserted {insert}",
                           (Span(offset, offset, place[4]),), weight=weight(stmt.lineno)), _steps(text) in stuck


def _place(src: SourceFile, function: ast.AST, stmt: ast.stmt, text: str,
           locals_: list[str]) -> tuple[int, str, int, str, str] | None:
    """Where `text` goes for the place after `stmt`: (offset, text, line, "after/before line N", inserted
    text), or None where it cannot go. A statement that reads nothing a loop around `stmt` rebinds (and
    rebinds nothing itself) does the same thing on every turn of that loop: inside it, it is at best a
    repetition of what one run before the loop does (`visited.add(start)` in a BFS's inner loop, which also
    passes tests a cycle back to the start makes fail, and is wrong on a self-loop). So it goes before the
    outermost such loop, once, where a hand would put it."""
    anchor: ast.stmt = stmt
    loop = _invariant_loop(src, function, stmt, text)
    if loop is not None:
        anchor = loop
    block = _siblings(src, anchor) or [anchor]
    if text in {src.segment(s) for s in block}:
        return None
    if loop is not None:
        # Before the loop: what is assigned by then must bind what it reads.
        if _reads(text) & (set(locals_) - _set_by(function, loop.lineno - 1)):
            return None
        start = src.line_start(loop.lineno)
        indent = src.indent_of(loop.lineno)
        return start, text, loop.lineno, f"before line {loop.lineno}", f"{indent}{text}\n"
    if _reads(text) & (set(locals_) - _set_by(function, stmt.end_lineno)):
        return None
    end = src.line_end(stmt.end_lineno)
    newline = "" if src.text[end - 1 : end] == "\n" else "\n"
    indent = src.indent_of(stmt.lineno)
    return end, text, stmt.lineno, f"after line {stmt.lineno}", f"{newline}{indent}{text}\n"


def _invariant_loop(src: SourceFile, function: ast.AST, stmt: ast.stmt, text: str) -> ast.stmt | None:
    """The outermost `for`/`while` around `stmt` (inside `function`) whose body rebinds none of the names
    `text` reads, when `text` rebinds no name itself (`i += 1` is never loop-invariant); else None."""
    try:
        parsed = ast.parse(text)
    except SyntaxError:
        return None
    if any(_targets(n) for n in ast.walk(parsed)):
        return None
    reads = _reads(text)
    found = None
    node: ast.AST | None = src.parent.get(stmt)
    while node is not None and node is not function:
        if isinstance(node, (ast.For, ast.While)):
            rebound = {t.id for n in ast.walk(node) for t in _targets(n) if isinstance(t, ast.Name)}
            if reads & rebound:
                break
            found = node
        node = src.parent.get(node)
    return found


def _set_by(function: ast.AST, line: int) -> set[str]:
    """The parameters of `function` and the names it assigns on lines up to `line`."""
    args = getattr(function, "args", None)
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a} \
        if args is not None else set()
    return names | {n.id for n in _walk_own(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                    and n.lineno <= line}


def _reads(text: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    except SyntaxError:
        return set()


def _unstepped(src: SourceFile, function: ast.AST, stmt: ast.stmt) -> set[str]:
    """Names the condition of a `while` loop around `stmt` reads and its body never assigns."""
    node: ast.AST | None = stmt
    while node is not None and node is not function:
        node = src.parent.get(node)
        if isinstance(node, ast.While):
            read = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            written = {t.id for b in node.body for n in ast.walk(b)
                       for t in _targets(n) if isinstance(t, ast.Name)}
            return read - written
    return set()


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return [e for t in node.targets for e in ast.walk(t)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
        return list(ast.walk(node.target))
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return list(ast.walk(node.optional_vars))
    return []


def _steps(text: str) -> str | None:
    """The name an augmented assignment statement steps (`right -= 1` -> "right"), else None."""
    try:
        node = ast.parse(text).body[0]
    except (SyntaxError, IndexError):
        return None
    return node.target.id if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) else None


def _statement_renamings(text: str, bound: set[str], locals_: list[str]) -> list[str]:
    """The statement with one of its names (a local, or a name not bound here: `hi` of a sibling function)
    swapped for another local, when nothing unbound is left (the donor as it is is insert_statement's job)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    unbound = {n for n in names if n not in bound}
    if len(unbound) > 1:
        return []
    out = []
    for name in sorted(unbound or (names & set(locals_))):
        for local in locals_:
            if local == name or local in names or len(out) >= 6:
                continue
            renamed = ast.unparse(_Rename({name: local}).visit(ast.parse(text)))
            if renamed != text and renamed not in out:
                out.append(renamed)
    return out
