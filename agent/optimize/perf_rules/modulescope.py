"""What a module's top level binds for good: aliases of builtins (`unicode = str`) and its live `def`s.

Libraries that still run on Python 2 bind names under `if sys.version_info < (3,): ... else: ...`
(toml's `unicode = str`, polib's two `def b(s)`). Such a test is read the way every Python 3 from
3.8 on reads it (it is decided only when they all agree), so the Python 2 branch is dead code. A
name is an alias of a builtin when the live top level binds it exactly once, by `NAME = BUILTIN`,
BUILTIN is not bound by the module itself, no function declares NAME global and nothing is
star-imported; a function is a live `def` when it is the one live top-level binding of its name.
A function's own local of the same name still shadows it (perf_rules/facts.py checks that).
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

_PY3_MINORS = range(8, 20)
_CMP = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
        ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}


_MAYBE = (ast.If, ast.Try, ast.TryStar, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Match)


class ModuleScope:
    def __init__(self, tree: ast.Module, sys_is_module: bool):
        self._sys = sys_is_module
        self.live_defs: dict[str, ast.FunctionDef] = {}
        self.aliases: dict[str, str] = {}
        self.bound: set[str] = set()
        self.top: set[str] = set()
        top: dict[str, list[ast.AST]] = {}
        inner: set[str] = set()  # bound inside a def, lambda, class or comprehension (or declared global)
        star = False
        for node, nested, stmt, certain in self._walk(tree):
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                star = True
            names = _binds(node)
            if nested or isinstance(node, (ast.Global, ast.Nonlocal)):
                inner.update(names)
            else:
                for name in names:
                    top.setdefault(name, []).append((stmt, certain))
        self.top = set(top)  # the names the module's own top level binds (in its if/try blocks too)
        self.bound = self.top | inner  # every name the module binds somewhere
        if star:
            return
        for name, binds in top.items():
            if len(binds) != 1 or name in inner or not binds[0][1]:
                continue  # bound more than once, or maybe not at all (under a test, in a try or loop)
            stmt = binds[0][0]
            if isinstance(stmt, ast.FunctionDef) and not stmt.decorator_list:
                self.live_defs[name] = stmt
            elif (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                  and isinstance(stmt.value, ast.Name) and stmt.value.id not in top and stmt.value.id not in inner
                  and hasattr(builtins, stmt.value.id)):
                self.aliases[name] = stmt.value.id

    def _walk(self, tree: ast.Module) -> Iterator[tuple[ast.AST, bool, ast.AST, bool]]:
        """(node, in a scope of its own, its statement, sure to run on import) for every node that may run
        (a decided version test's dead branch left out); a scope of its own is a def, lambda, class or
        comprehension's; what an undecided test, a try, a loop or a with holds may not run."""
        stack: list[tuple[ast.AST, bool, ast.AST, bool]] = [(tree, False, tree, True)]
        while stack:
            cur, inside, stmt, certain = stack.pop()
            if isinstance(cur, ast.stmt):
                stmt = cur
            yield cur, inside, stmt, certain
            if isinstance(cur, ast.If) and self._sys:
                taken = version_test(cur.test)
                if taken is not None:
                    stack.extend((child, inside, stmt, certain) for child in (cur.body if taken else cur.orelse))
                    continue
            scoped = inside or isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                                                ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))
            sure = certain and not isinstance(cur, _MAYBE)
            stack.extend((child, scoped, stmt, sure) for child in ast.iter_child_nodes(cur))


def _binds(node: ast.AST) -> list[str]:
    """Names this node binds in the scope it sits in."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return [node.id]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return list(node.names)
    if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        return [node.name]
    return []


def version_test(test: ast.AST) -> bool | None:
    """The value of `sys.version_info <op> (3, ...)` (or `... [0]`, `.major`, either side) on every Python 3
    from 3.8 on, or None when they disagree or the test is anything else."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _CMP):
        return None
    left, right = test.left, test.comparators[0]
    flip = False
    if not _is_version(left):
        left, right, flip = right, left, True
    kind = _is_version(left)
    if not kind:
        return None
    try:
        other = ast.literal_eval(right)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if kind == "tuple" and not (isinstance(other, tuple) and len(other) <= 3 and all(type(x) is int for x in other)):
        return None
    if kind == "major" and type(other) is not int:
        return None
    op = _CMP[type(test.ops[0])]
    seen = set()
    for minor in _PY3_MINORS:
        mine = (3, minor, 0, "final", 0) if kind == "tuple" else 3
        seen.add(op(other, mine) if flip else op(mine, other))
    return seen.pop() if len(seen) == 1 else None


def _is_version(node: ast.AST) -> str | None:
    def is_info(n):
        return isinstance(n, ast.Attribute) and n.attr == "version_info" and isinstance(n.value, ast.Name) \
            and n.value.id == "sys"
    if is_info(node):
        return "tuple"
    if isinstance(node, ast.Subscript) and is_info(node.value) and isinstance(node.slice, ast.Constant) \
            and node.slice.value == 0 and type(node.slice.value) is int:
        return "major"
    if isinstance(node, ast.Attribute) and node.attr == "major" and is_info(node.value):
        return "major"
    return None


def module_scope(module) -> ModuleScope:
    """The module's scope facts, computed once per parsed module."""
    scope = getattr(module, "_scope", None)
    if scope is None:
        scope = module._scope = ModuleScope(module.tree, _sys_is_the_module(module.tree))
    return scope


def _sys_is_the_module(tree: ast.Module) -> bool:
    """Every binding of `sys` in the module is `import sys` (wherever it stands)."""
    found = False
    for node in ast.walk(tree):
        names = _binds(node)
        if "sys" not in names:
            continue
        if not (isinstance(node, ast.Import) and all(a.name == "sys" for a in node.names if (a.asname or a.name) == "sys")):
            return False
        found = True
    return found
