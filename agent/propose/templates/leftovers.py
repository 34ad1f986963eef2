"""The value a `return None` dropped, read off what the function itself computes and never uses.

Two shapes of library code leave the lost value in plain sight:

- a function that builds its result in its last assignments and returns them together:
  `z = p + q; zz = p - z + q; return None` -> `return z, zz` (the tuple of the assignments that end
  the block, when the last of them is never read: a value computed for nobody, and only where another
  function of the file returns a tuple of that size: the file's own way of returning several values);
- a convenience wrapper that makes an object of one of the file's classes and hands the call on:
  `p = Parser(format, ...); return None` in `parse(format, string, ...)` -> `return p.parse(string, ...)`
  (the local is never read; the method is the function's namesake; its arguments are the wrapper's
  own names, matched by name: required ones positional, defaulted ones as keywords).

Both are only offered where every name they read is a local of the function, and go through every gate
like any other candidate. return_analogy (analogy.py) offers them before a namesake's expression.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from suture.agent.propose.templates.source import SourceFile, _walk_own

MAX_TUPLE = 3


def delegations(src: SourceFile, function: ast.AST,
                namesakes: Callable[[str, str], bool]) -> list[tuple[str, str, float]]:
    """(expression text, where it came from, weight): `local.method(args)` for an unread local made by
    calling a class of the file whose method is named as the function (or is its namesake: `namesakes(a, b)`,
    analogy.py's rule), the method's parameters filled with the function's same-named locals."""
    classes = {n.name: n for n in src.tree.body if isinstance(n, ast.ClassDef)}
    facts = src.facts(function)
    bound = set(facts.locals())
    offers = []
    for stmt in _walk_own(function):
        target = _single_name(stmt) if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        value = getattr(stmt, "value", None)
        if target is None or not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name):
            continue
        cls = classes.get(value.func.id)
        if cls is None or facts.reads.get(target):
            continue
        for method in cls.body:
            if not isinstance(method, ast.FunctionDef) or not (
                    method.name == function.name or namesakes(method.name, function.name)):
                continue
            args = _arguments(method, bound - {target})
            if args is not None:
                offers.append((f"{target}.{method.name}({args})", f"`{cls.name}.{method.name}` on the unread `{target}`",
                               1.0 if method.name == function.name else 0.8))
    return offers


def _unread_after(src: SourceFile, function: ast.AST, name: str, line: int) -> bool:
    return not any(seen > line for seen in src.facts(function).reads.get(name, []))


def last_assigned(src: SourceFile, function: ast.AST, node: ast.Return) -> list[tuple[str, str, float]]:
    """(expression text, where it came from, weight): the tuples of the 2..MAX_TUPLE single-name
    assignments just before the `return None` `node` in its block, of a size another function returns."""
    block = next((b for b in _blocks_of(src.parent.get(node)) if node in b), None)
    if block is None:
        return []
    names: list[str] = []
    last_line = 0
    for stmt in reversed(block[: block.index(node)]):
        target = _single_name(stmt)
        if target is None or target in names:
            break
        names.insert(0, target)
        last_line = last_line or stmt.end_lineno
        if len(names) == MAX_TUPLE:
            break
    params = set(src.facts(function).params)
    if len(names) < 2 or names[-1] in params or not _unread_after(src, function, names[-1], last_line):
        return []
    sizes = _tuple_sizes(src, function)
    return [(", ".join(names[-size:]), f"the last {size} values `{function.name}` assigns", 0.7)
            for size in range(2, len(names) + 1) if size in sizes]


def _tuple_sizes(src: SourceFile, function: ast.AST) -> set[int]:
    """Sizes of the tuple displays the file's other functions return (`return hi, lo`: 2)."""
    if src.tuple_sizes is None:
        src.tuple_sizes = {}
        for node in ast.walk(src.tree):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                owner = src.enclosing_function(node)
                src.tuple_sizes.setdefault(len(node.value.elts), set()).add(owner)
    return {size for size, owners in src.tuple_sizes.items() if owners - {function}}


def _blocks_of(parent: ast.AST | None) -> list[list[ast.stmt]]:
    if parent is None:
        return []
    blocks = [getattr(parent, field, None) for field in ("body", "orelse", "finalbody")]
    blocks += [h.body for h in getattr(parent, "handlers", [])]
    return [b for b in blocks if isinstance(b, list)]


def _single_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return None


def _arguments(method: ast.FunctionDef, names: set[str]) -> str | None:
    """The call's argument text: every required parameter by position, every defaulted one the caller
    has a same-named local for as a keyword; None when a required one has no local of its name."""
    a = method.args
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list)
    positional = [*a.posonlyargs, *a.args][0 if static else 1:]  # without self / cls
    first_default = len(positional) - len(a.defaults)
    parts: list[str] = []
    for i, p in enumerate(positional):
        if i < first_default:
            if p.arg not in names:
                return None
            parts.append(p.arg)
        elif p.arg in names:
            parts.append(f"{p.arg}={p.arg}")
    for p, default in zip(a.kwonlyargs, a.kw_defaults):
        if p.arg in names:
            parts.append(f"{p.arg}={p.arg}")
        elif default is None:
            return None
    return ", ".join(parts)
