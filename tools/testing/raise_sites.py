"""A failure the code raised on purpose: where its decision came from, and which lines only report it.

When the innermost in-repo frame of a failing test is a `raise` statement guarded by an `if`
(`if not required.issubset(coverage): ... raise MissingKey(message)`), the code did what it was
written to do: it checked a value and reported the check's result. Two things follow, both
true whatever the library:

- the lines of the branch that ends in the raise (building the message, the raise itself) run
  only when the check fails, so every failing test runs them and SBFL rates them highest; they
  are the report of the failure, not its cause, and say no more than the guard line that chose
  the branch (localisation caps their score at the guard's);
- the decision came from the guard's inputs: the functions the guard calls and those called to
  compute the variables it reads (their last assignment before it, in the same function). Those
  are where a wrong value that tripped the check was made, so they take the innermost frame's
  lift; when the guard computes everything inline, the raising function keeps it.

The functions called on the report lines (message formatting) ran only because the failure was
being reported, the way pytest's report runs `__repr__`: localisation lowers them.

Only the raise's own file is parsed; a raise outside an `if`'s branch (unconditional, or in an
`except` handler re-raising) gives no site and no change.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RaiseSite", "raise_site"]


@dataclass(frozen=True)
class RaiseSite:
    path: str
    guard_line: int  # the `if` (or `elif`) line whose test chose the raising branch
    report_lines: frozenset[int]  # the branch's lines, first statement to the end of the raise
    decided_by: frozenset[str] = field(default_factory=frozenset)  # names of functions computing the guard's inputs
    reported_with: frozenset[str] = field(default_factory=frozenset)  # names called on the report lines


def raise_site(path: str, line: int, read_text: Callable[[str], str]) -> RaiseSite | None:
    """The raise site at `path`:`line` (an innermost traceback frame), or None when that line is not a
    `raise` inside an `if` branch of a function."""
    try:
        tree = ast.parse(read_text(path))
    except (SyntaxError, ValueError):
        return None
    function, chain = _enclosing(tree, line)
    if function is None or not chain or not isinstance(chain[-1], ast.Raise):
        return None
    raised = chain[-1]
    branch_owner = next((node for node in reversed(chain[:-1]) if isinstance(node, ast.If)), None)
    if branch_owner is None or any(isinstance(n, (ast.ExceptHandler, ast.Try)) for n in
                                   chain[chain.index(branch_owner) + 1:-1]):
        return None
    branch = branch_owner.body if _holds(branch_owner.body, line) else branch_owner.orelse
    if not branch:
        return None
    report = frozenset(range(branch[0].lineno, (raised.end_lineno or raised.lineno) + 1))
    test = branch_owner.test
    decided = _called(test)
    read = {n.id for n in ast.walk(test) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for name in read:
        assigned = _last_assignment(function, name, branch_owner.lineno)
        if assigned is not None:
            decided |= _called(assigned)
    reporting = set()
    for statement in branch:
        if statement.lineno in report:
            reporting |= _called(statement)
    if isinstance(raised.exc, ast.Call):
        reporting.discard(_callee(raised.exc.func))  # the exception class itself
    return RaiseSite(path, branch_owner.lineno, report, frozenset(decided), frozenset(reporting - decided))


def _enclosing(tree: ast.AST, line: int) -> tuple[ast.AST | None, list[ast.AST]]:
    """(the innermost function holding `line`, the statements from its body down to the one at `line`)."""
    function, chain = None, []
    node = tree
    while True:
        inner = next((child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
                      and child.lineno <= line <= (child.end_lineno or child.lineno)), None)
        if inner is None:
            for handler in getattr(node, "handlers", ()):  # a try's handlers are not statements
                if handler.lineno <= line <= (handler.end_lineno or handler.lineno):
                    inner = handler
            if inner is None:
                return function, chain
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function, chain = inner, []
        elif not isinstance(inner, ast.ClassDef):
            chain.append(inner)
        node = inner


def _holds(statements: list[ast.stmt], line: int) -> bool:
    return bool(statements) and statements[0].lineno <= line <= (statements[-1].end_lineno or statements[-1].lineno)


def _callee(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _called(node: ast.AST | None) -> set[str]:
    """Names of the functions and methods called anywhere in `node`."""
    if node is None:
        return set()
    return {_callee(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)} - {""}


def _last_assignment(function: ast.AST, name: str, before: int) -> ast.AST | None:
    """The value of the last plain assignment to `name` in `function` before line `before`."""
    found = None
    for node in ast.walk(function):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.lineno < before:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if found is None or node.lineno > found.lineno:
                    found = node
    return found.value if found is not None else None
