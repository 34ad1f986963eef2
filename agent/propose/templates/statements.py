"""Statement templates: delete, move and insert statements (GenProg), and a similar call in place of another."""

from __future__ import annotations

import ast
import builtins
import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from suture.agent.propose.templates.source import (
    _FUNCTIONS,
    _SCOPES,
    DELETES_CODE,
    REMOVES_CHECK,
    _FunctionFacts,
    Mutation,
    SourceFile,
    Span,
    _short,
)
from suture.agent.propose.templates.values import _ends_flow, _in_loop, _names_read


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _own_statements(src: SourceFile, nodes: list[ast.AST]) -> list[ast.stmt]:
    """Statements of the scope that fill their own lines, inside a function, docstrings left out. Functions
    with `global` / `nonlocal` are left out: moving a statement across the declaration breaks the file."""
    out = []
    for n in nodes:
        if isinstance(n, ast.stmt) and not isinstance(n, (*_SCOPES,)) and src.owns_lines(n) and not _is_docstring(n):
            function = src.enclosing_function(n)
            if function is not None and not src.facts(function).declares:
                out.append(n)
    return out


def _lines_span(src: SourceFile, stmt: ast.stmt) -> tuple[int, int]:
    """The statement's whole lines, decorators included."""
    first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
    return src.line_start(first), src.line_end(stmt.end_lineno)


def _siblings(src: SourceFile, stmt: ast.stmt) -> list[ast.stmt] | None:
    parent = src.parent.get(stmt)
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and stmt in block:
            return block
    return None


def delete_statement(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Delete one statement (a block left empty gets `pass`)."""
    for stmt in _own_statements(src, nodes):
        block = _siblings(src, stmt)
        if block is None or isinstance(stmt, ast.Pass):
            continue
        start, end = _lines_span(src, stmt)
        text = src.text[start:end]
        if len(block) == 1:
            newline = "\n" if text.endswith("\n") else ""
            replacement = src.indent_of(stmt.lineno) + "pass" + newline
        else:
            replacement = ""
        risks = (DELETES_CODE, REMOVES_CHECK) if isinstance(stmt, (ast.If, ast.Raise, ast.Assert)) else (DELETES_CODE,)
        weight = 0.5 if len(text.splitlines()) > 3 else 1.0
        yield Mutation("delete_statement", stmt.lineno, f"statement `{_short(src.segment(stmt))}` deleted "
                       f"(line {stmt.lineno})", (Span(start, end, replacement),), risks, weight=weight)


def move_statement(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Move a statement after one of the next few statements of its block, or before one of the
    previous few (a statement in the wrong order; the nearest moves first)."""
    for stmt in _own_statements(src, nodes):
        block = _siblings(src, stmt)
        if block is None or not all(src.owns_lines(s) for s in block):
            continue
        i = block.index(stmt)
        s0, s1 = _lines_span(src, stmt)
        moved = src.text[s0:s1] if src.text[s0:s1].endswith("\n") else src.text[s0:s1] + "\n"
        for j in range(i + 1, min(i + 5, len(block))):
            other = block[j]
            if _ends_flow(other):
                break  # after a return nothing runs
            o1 = _lines_span(src, other)[1]
            between = src.text[s1:o1] if src.text[s1:o1].endswith("\n") else src.text[s1:o1] + "\n"
            text = between + moved
            if not src.text[s0:o1].endswith("\n"):  # the block ends the file without a newline
                text = text.rstrip("\n")
            yield Mutation("move_statement", stmt.lineno, f"line {stmt.lineno} moved after line {other.end_lineno} "
                           f"(`{_short(src.segment(stmt), 30)}`)", (Span(s0, o1, text),), weight=1.0 / (j - i))
        for j in range(i - 1, max(i - 4, -1), -1):
            other = block[j]
            o0 = _lines_span(src, other)[0]
            yield Mutation("move_statement", stmt.lineno, f"line {stmt.lineno} moved before line {other.lineno} "
                           f"(`{_short(src.segment(stmt), 30)}`)",
                           (Span(o0, o0, moved), Span(s0, s1, "")), weight=0.8 / (i - j))


_SIMPLE_DONORS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.If, ast.Continue,
                  ast.Break)
_BUILTINS = set(dir(builtins))


def insert_statement(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """The missing line: a statement copied from elsewhere in the same function (then the file), inserted
    before or after a statement of the scope, when every name it reads is bound there."""
    targets = _own_statements(src, nodes)
    if not targets:
        return
    donors = _donors_of(src)
    for stmt in targets:
        function = src.enclosing_function(stmt)
        facts = src.facts(function)
        bound = set(facts.locals()) | src.module_names | _BUILTINS
        indent = src.indent_of(stmt.lineno)
        block = _siblings(src, stmt) or [stmt]
        neighbours = {src.segment(s) for s in block}
        ordered = [(d, 1.0) for d in donors if d.function is function] + \
                  [(d, 0.5) for d in donors if d.function is not function]
        start, end = _lines_span(src, stmt)
        in_loop = _in_loop(src, stmt, function)
        made = 0
        for donor, weight in ordered:
            if made >= 12:
                break
            node = donor.stmt
            if node is stmt or node.lineno <= stmt.lineno <= node.end_lineno or donor.text in neighbours \
                    or not donor.reads <= bound or (donor.loop_only and not in_loop) \
                    or (donor.is_async and not isinstance(function, ast.AsyncFunctionDef)):
                continue
            variants = [(_reindent(src, node, indent), donor.text, weight)]
            if donor.function is function and node.end_lineno == node.lineno:
                variants += _rebound(src, donor, stmt, facts, indent, weight)
            for text, shown, w in variants:
                made += 1
                yield Mutation("insert_statement", stmt.lineno, f"`{_short(shown)}` (like line {node.lineno}) "
                               f"inserted before line {stmt.lineno}", (Span(start, start, text),), weight=w)
                if not _ends_flow(stmt):
                    newline = "" if src.text[end - 1 : end] == "\n" else "\n"
                    yield Mutation("insert_statement", stmt.lineno, f"`{_short(shown)}` (like line "
                                   f"{node.lineno}) inserted after line {stmt.end_lineno}",
                                   (Span(end, end, newline + text),), weight=w * 0.8)


def _rebound(src: SourceFile, donor: _Donor, stmt: ast.stmt, facts: _FunctionFacts, indent: str,
             weight: float) -> list[tuple[str, str, float]]:
    """The donor with one local it reads that is not bound yet at `stmt` (a loop variable further down)
    replaced by a parameter or a local bound before: `visited.add(nxt)` -> `visited.add(start)`."""
    late = [n for n in ast.walk(donor.stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and n.id in facts.stores and min(facts.stores[n.id]) >= stmt.lineno]
    if not late:
        return []
    target = late[0]
    bound = [p for p in facts.params if p not in ("self", "cls")]
    bound += [n for n, lines in facts.stores.items() if min(lines) < stmt.lineno and n not in bound]
    out = []
    base = src.start(donor.stmt)
    for other in [b for b in bound if facts.compatible(target.id, b) and b != target.id][:2]:
        a, b = src.start(target) - base, src.end(target) - base
        shown = donor.text[:a] + other + donor.text[b:]
        out.append((indent + shown + "\n", shown, weight * 0.7))
    return out


@dataclass(frozen=True)
class _Donor:
    stmt: ast.stmt
    function: ast.AST
    text: str
    reads: frozenset[str]
    loop_only: bool  # holds a break / continue
    is_async: bool  # holds an await


def _donors_of(src: SourceFile) -> list[_Donor]:
    if src.donor_cache is None:
        src.donor_cache = _donors(src)
    return src.donor_cache


def _donors(src: SourceFile) -> list[_Donor]:
    """Statements worth copying: short simple statements inside functions, and guard clauses."""
    found = []
    for node in ast.walk(src.tree):
        if not isinstance(node, _SIMPLE_DONORS) or node.end_lineno - node.lineno >= 3 or _is_docstring(node):
            continue
        if isinstance(node, ast.If) and not all(isinstance(s, (ast.Return, ast.Raise, ast.Continue, ast.Break))
                                                for s in node.body):
            continue  # copied ifs only as guard clauses
        function = src.enclosing_function(node)
        inner = list(ast.walk(node))
        if function is None or not src.owns_lines(node) or any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in inner):
            continue
        found.append(_Donor(node, function, src.segment(node), frozenset(_names_read(node)),
                            loop_only=any(isinstance(n, (ast.Break, ast.Continue)) for n in inner),
                            is_async=any(isinstance(n, ast.Await) for n in inner)))
    return found


def _reindent(src: SourceFile, stmt: ast.stmt, indent: str) -> str:
    start, end = _lines_span(src, stmt)
    old = src.indent_of(stmt.lineno)
    lines = src.text[start:end].splitlines()
    out = [indent + ln[len(old):] if ln.startswith(old) else indent + ln.lstrip() for ln in lines]
    return "\n".join(out) + "\n"


# Pairs a program often confuses, beyond what string similarity finds.
_CONFUSABLE = [
    ("min", "max"), ("any", "all"), ("append", "extend"), ("sort", "sorted"), ("floor", "ceil"),
    ("startswith", "endswith"), ("lower", "upper"), ("keys", "values"), ("values", "items"), ("keys", "items"),
    ("index", "find"), ("lstrip", "rstrip"), ("strip", "rstrip"), ("pop", "popleft"), ("remove", "discard"),
    ("isinstance", "issubclass"), ("find", "rfind"), ("index", "rindex"), ("split", "rsplit"), ("reversed", "sorted"),
    ("insert", "append"), ("get", "pop"), ("update", "setdefault"), ("search", "match"), ("match", "fullmatch"),
    ("bisect_left", "bisect_right"), ("list", "tuple"), ("list", "set"), ("str", "repr"), ("int", "round"),
    ("isalpha", "isalnum"), ("isdigit", "isalnum"), ("isdigit", "isnumeric"), ("isdigit", "isdecimal"),
    ("isupper", "islower"), ("upper", "title"), ("lower", "casefold"), ("title", "capitalize"), ("add", "update"),
    ("union", "intersection"), ("difference", "symmetric_difference"), ("copy", "deepcopy"), ("dumps", "dump"),
    ("loads", "load"), ("abs", "round"), ("sum", "len"), ("int", "float"), ("min", "sorted"), ("next", "iter"),
    ("popitem", "pop"), ("count", "index"), ("replace", "translate"), ("join", "split"), ("zip", "enumerate"),
]
_CONFUSED: dict[str, list[str]] = {}
for _a, _b in _CONFUSABLE:
    _CONFUSED.setdefault(_a, []).append(_b)
    _CONFUSED.setdefault(_b, []).append(_a)


def similar_call(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """A call to a similarly named function or method in scope: known confusable pairs (min/max, append/extend,
    ...) first, then names defined in the file or imported (methods: defined in the file) that difflib
    finds close. Builtins only through the table: difflib over all of them mostly finds noise."""
    methods = {n.name for n in ast.walk(src.tree) if isinstance(n, _FUNCTIONS)}
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name, pool = func.id, src.module_names
            start, end = src.start(func), src.end(func)
        elif isinstance(func, ast.Attribute):
            name, pool = func.attr, methods
            end = src.end(func)
            start = end - len(func.attr)
            if src.text[start:end] != func.attr:
                continue
        else:
            continue
        choices = list(_CONFUSED.get(name, []))
        key = (name, isinstance(func, ast.Name))
        if key not in src.close_names:
            src.close_names[key] = difflib.get_close_matches(name, pool - {name}, n=3, cutoff=0.75)
        choices += [c for c in src.close_names[key] if c not in choices]
        for rank, other in enumerate(choices[:4]):
            weight = (1.0 if other in _CONFUSED.get(name, ()) else 0.6) / (1 + 0.3 * rank)
            yield Mutation("similar_call", node.lineno, f"`{name}(...)` -> `{other}(...)` in line {node.lineno}",
                           (Span(start, end, other),), weight=weight)


