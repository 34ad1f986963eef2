"""Parameter types from the tests: what a verifier should feed an unannotated function.

Symbolic and generated inputs need types; most code under repair has none. The tests
show them: `total([1, 2, 3], 4)` says items is a list of ints and k an int. The literal
arguments of every call in the test files (and module-level constants they name) are
joined per function name into annotations; a parameter whose calls disagree (a list
here, a str there) stays unannotated. Used by the fix gate on candidates and by the
equivalence backends (`suture verify --against`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from suture.retrieval.testfiles import is_test_path
from suture.tools.verify.verifier_core import find_function, parse_module

__all__ = ["MAX_TEST_FILES", "annotations_for", "collect_calls", "inferred_annotations", "insert_annotations", "is_known"]

MAX_TEST_FILES = 400  # test files read for argument types (once per run)


def collect_calls(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Function name -> the literal arguments its calls in the test files pass.

    Each observation is {"args": [value or _UNKNOWN, ...], "kwargs": {...}, "attribute": bool,
    "test": the node id of the test function the call is in ("tests/test_x.py::TestA::test_b"), "" outside one}.
    """
    found: dict[str, list[dict[str, Any]]] = {}
    files = 0
    for path in sorted(root.rglob("*.py")):
        if files >= MAX_TEST_FILES:
            break
        if any(part.startswith(".") or part in ("node_modules", "__pycache__", "site-packages") for part in path.relative_to(root).parts):
            continue
        if not is_test_path(path.relative_to(root).as_posix()):
            continue
        files += 1
        try:
            if path.stat().st_size > 500_000:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue
        constants = _module_constants(tree)
        for node, test in _calls(tree, path.relative_to(root).as_posix()):
            if isinstance(node.func, ast.Name):
                name, attribute = node.func.id, False
            elif isinstance(node.func, ast.Attribute):
                name, attribute = node.func.attr, True
            else:
                continue
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                continue
            found.setdefault(name, []).append({
                "args": [_literal(a, constants) for a in node.args],
                "kwargs": {k.arg: _literal(k.value, constants) for k in node.keywords},
                "attribute": attribute,
                "test": test,
            })
    return found


def _calls(tree: ast.Module, rel: str) -> list[tuple[ast.Call, str]]:
    """Every call in a test file, with the node id of the test function it is in ("" outside one)."""
    found: list[tuple[ast.Call, str]] = []
    todo: list[tuple[ast.AST, str, tuple[str, ...]]] = [(tree, "", ())]  # a stack: deep expressions nest far
    while todo:
        node, test, classes = todo.pop()
        for child in ast.iter_child_nodes(node):
            inner, owners = test, classes
            if not test and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name.startswith("test"):
                inner = "::".join((rel, *classes, child.name))
            elif not test and isinstance(child, ast.ClassDef):
                owners = (*classes, child.name)
            if isinstance(child, ast.Call):
                found.append((child, test))
            todo.append((child, inner, owners))
    return sorted(found, key=lambda pair: (pair[0].lineno, pair[0].col_offset))


class _Unknown:
    pass


_UNKNOWN = _Unknown()


def is_known(value: Any) -> bool:
    """Was this argument of an observed call a literal (not a name or an expression)?"""
    return value is not _UNKNOWN


def _literal(node: ast.AST, constants: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


def _module_constants(tree: ast.Module) -> dict[str, Any]:
    """NAME = <literal> at a test module's top level (a shared fixture value), assigned once."""
    values: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            counts[name] = counts.get(name, 0) + 1
            value = _literal(node.value, {})
            if value is not _UNKNOWN:
                values[name] = value
    return {k: v for k, v in values.items() if counts[k] == 1}


# A type is a small tuple: ("int",), ("list", elem), ("dict", key, value), ("tuple", elem),
# ("opt", inner), ("none",); elem/key/value may be None (seen only empty).
_FAIL = ("fail",)
_SCALAR = {bool: "bool", int: "int", float: "float", str: "str", bytes: "bytes"}


def _type_of(value: Any, depth: int = 0) -> tuple | None:
    if value is None:
        return ("none",)
    kind = type(value)
    if kind in _SCALAR:
        return (_SCALAR[kind],)
    if depth > 4:
        return _FAIL
    if kind in (list, set, frozenset, tuple):
        elem = None
        for item in value:
            elem = _join(elem, _type_of(item, depth + 1))
        name = {list: "list", set: "set", frozenset: "frozenset", tuple: "tuple"}[kind]
        return _FAIL if elem == _FAIL else (name, elem)
    if kind is dict:
        key = val = None
        for k, v in value.items():
            key, val = _join(key, _type_of(k, depth + 1)), _join(val, _type_of(v, depth + 1))
        return _FAIL if _FAIL in (key, val) else ("dict", key, val)
    return _FAIL


def _join(a: tuple | None, b: tuple | None) -> tuple | None:
    if a is None:
        return b
    if b is None or a == b:
        return a
    if _FAIL in (a, b):
        return _FAIL
    if a[0] == "opt" or b[0] == "opt":
        inner_a = a[1] if a[0] == "opt" else a
        inner_b = b[1] if b[0] == "opt" else b
        if inner_a == ("none",):
            inner_a = None
        if inner_b == ("none",):
            inner_b = None
        inner = _join(inner_a, inner_b)
        return _FAIL if inner == _FAIL else ("opt", inner)
    if a == ("none",) or b == ("none",):
        other = b if a == ("none",) else a
        return ("opt", other)
    pair = {a[0], b[0]}
    if pair == {"int", "float"}:
        return ("float",)
    if pair == {"bool", "int"}:
        return ("int",)
    if a[0] == b[0] and a[0] in ("list", "set", "frozenset", "tuple"):
        elem = _join(a[1], b[1])
        return _FAIL if elem == _FAIL else (a[0], elem)
    if a[0] == b[0] == "dict":
        key, val = _join(a[1], b[1]), _join(a[2], b[2])
        return _FAIL if _FAIL in (key, val) else ("dict", key, val)
    return _FAIL


def _render(kind: tuple | None) -> str | None:
    """The annotation for a joined type; None when nothing useful is known."""
    if kind is None or kind == _FAIL or kind == ("none",):
        return None
    head = kind[0]
    if head == "opt":
        inner = _render(kind[1])
        return f"{inner} | None" if inner else None
    if head in ("list", "set", "frozenset"):
        inner = _render(kind[1])
        return f"{head}[{inner}]" if inner else head
    if head == "tuple":
        inner = _render(kind[1])
        return f"tuple[{inner}, ...]" if inner else "tuple"
    if head == "dict":
        key, val = _render(kind[1]), _render(kind[2])
        return f"dict[{key}, {val}]" if key and val else "dict"
    return head


def inferred_annotations(func: ast.FunctionDef | ast.AsyncFunctionDef, observed: list[dict[str, Any]], *,
                         method: bool = False) -> dict[str, str]:
    """Annotations for `func`'s unannotated parameters from the literal arguments of its calls.

    A parameter whose observed values do not share one type (a list here, a str there: two
    different functions of the same name, or a deliberately generic one) stays unannotated.
    """
    args = func.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    if method and positional and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list):
        positional = positional[1:]  # self / cls: the caller's receiver, not an argument
    names = set(positional) | {a.arg for a in args.kwonlyargs}
    joined: dict[str, tuple | None] = {}
    for call in observed:
        if method and not call["attribute"]:
            continue  # Class.method(...) unbound calls would shift the arguments; keep it simple
        if len(call["args"]) > len(positional) and args.vararg is None:
            continue  # not this function's signature
        if any(k not in names for k in call["kwargs"]) and args.kwarg is None:
            continue
        bound = dict(zip(positional, call["args"]))
        bound.update({k: v for k, v in call["kwargs"].items() if k in names})
        for name, value in bound.items():
            if value is _UNKNOWN:
                continue
            joined[name] = _join(joined.get(name), _type_of(value))
    annotated = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.annotation is not None}
    out = {}
    for name, kind in joined.items():
        text = _render(kind)
        if text and name not in annotated:
            out[name] = text
    return out


def insert_annotations(source: str, func: ast.FunctionDef | ast.AsyncFunctionDef, types: dict[str, str]) -> str:
    """`source` with `: T` after each named parameter of `func` (ast offsets are utf-8 bytes)."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source)  # as ast counts lines (not at form feeds)
    params = [a for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs if a.arg in types]
    for arg in sorted(params, key=lambda a: (a.end_lineno, a.end_col_offset), reverse=True):
        raw = lines[arg.end_lineno - 1].encode("utf-8")
        raw = raw[: arg.end_col_offset] + f": {types[arg.arg]}".encode() + raw[arg.end_col_offset:]
        lines[arg.end_lineno - 1] = raw.decode("utf-8")
    return "".join(lines)




def annotations_for(source: str, qualname: str, calls: dict[str, list[dict[str, Any]]], *,
                    annotate: bool = True) -> tuple[dict[str, str], str | None]:
    """(the inferred types of `qualname`'s unannotated parameters, `source` with them written in).

    ({}, None) when nothing is known, the source does not parse, or a decorator other than
    staticmethod/classmethod might read annotations (singledispatch, pydantic): left be.
    Without `annotate`, only the types: (types, None), and the source is parsed once at most.
    """
    try:
        func = find_function(parse_module(source, qualname), qualname)
    except SyntaxError:
        return {}, None
    if func is None or any(not (isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod"))
                           for d in func.decorator_list):
        return {}, None
    types = inferred_annotations(func, list(calls.get(func.name, ())), method="." in qualname)
    if not types:
        return {}, None
    if not annotate:
        return types, None
    annotated = insert_annotations(source, func, types)
    try:
        ast.parse(annotated)
    except SyntaxError:
        return {}, None
    return types, annotated
