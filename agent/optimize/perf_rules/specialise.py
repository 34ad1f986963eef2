"""A call of one of the module's own functions, read for the types of its arguments.

Libraries redefine builtins for their own needs: texttable's module-level `len(iterable)` measures
the display width of a str but, for anything else, only `return iterable.__len__()`. The rules
cannot treat `len(parts)` as the builtin, yet for a list `parts` the call takes one path that
changes nothing, cannot raise and gives the same int every time. `total_result` follows a plain
function's `isinstance` dispatch for the given argument types and answers the result type when the
path taken is that simple (so the call may be hoisted or counted as a read), else None.
"""

from __future__ import annotations

import ast
import builtins
import types

from suture.agent.optimize.perf_rules.modulescope import ModuleScope

# The facts.py type of an argument -> the class its value is (exactly: the run records exact types,
# literals and builtins make them).
_CLASSES = {"str": str, "bytes": bytes, "int": int, "float": float, "bool": bool, "none": types.NoneType,
            "list": list, "tuple": tuple, "set": set, "dict": dict}
_SIZED = {"str", "bytes", "list", "tuple", "set", "dict"}


def total_result(scope: ModuleScope, fdef: ast.FunctionDef, argtypes: tuple) -> object:
    """The type `fdef(*args)` returns when the path its `isinstance` tests take for `argtypes` is only
    `return` of a constant, a parameter of an immutable type or `param.__len__()` of a sized builtin;
    None otherwise (another statement, a test not decided by the types, any other expression)."""
    a = fdef.args
    if a.posonlyargs or a.vararg or a.kwarg or a.kwonlyargs or a.defaults or len(a.args) != len(argtypes) \
            or fdef.decorator_list or any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(fdef)):
        return None
    env = {p.arg: t for p, t in zip(a.args, argtypes)}
    return _block(scope, fdef.body, env, depth=0)


def _block(scope: ModuleScope, body: list, env: dict, depth: int) -> object:
    if depth > 8:
        return None
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue  # a docstring
        if isinstance(stmt, ast.Return):
            return _expr(stmt.value, env) if stmt.value is not None else "none"
        if isinstance(stmt, ast.If):
            taken = _decide(scope, stmt.test, env)
            if taken is None:
                return None
            branch = stmt.body if taken else stmt.orelse
            if branch:
                return _block(scope, branch + body[i + 1:], env, depth + 1)
            continue
        return None
    return "none"


def _expr(node, env: dict) -> object:
    if isinstance(node, ast.Constant) and not isinstance(node.value, (list, dict, set)):
        return {str: "str", bytes: "bytes", int: "int", float: "float", bool: "bool", type(None): "none"}.get(type(node.value))
    if isinstance(node, ast.Name) and env.get(node.id) in ("str", "bytes", "int", "float", "bool", "none"):
        return env[node.id]
    if isinstance(node, ast.Call) and not node.args and not node.keywords and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "__len__" and isinstance(node.func.value, ast.Name):
        t = env.get(node.func.value.id)
        kind = t[0] if isinstance(t, tuple) else t
        return "int" if kind in _SIZED else None
    return None


def _decide(scope: ModuleScope, test, env: dict) -> bool | None:
    if isinstance(test, ast.BoolOp):
        values = [_decide(scope, v, env) for v in test.values]
        if any(v is None for v in values):
            return None
        return all(values) if isinstance(test.op, ast.And) else any(values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _decide(scope, test.operand, env)
        return None if inner is None else not inner
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
            and test.func.id not in scope.bound and test.func.id not in env
            and len(test.args) == 2 and not test.keywords and isinstance(test.args[0], ast.Name)):
        return None
    t = env.get(test.args[0].id)
    cls = _CLASSES.get(t[0] if isinstance(t, tuple) else t)
    wanted = _classes(scope, test.args[1], env)
    if cls is None or wanted is None:
        return None
    return issubclass(cls, wanted)


def _classes(scope: ModuleScope, node, env: dict) -> tuple | None:
    """The builtin classes `node` names (a builtin, a module alias of one, or a tuple of those)."""
    if isinstance(node, ast.Tuple):
        parts = [_classes(scope, e, env) for e in node.elts]
        return None if any(p is None for p in parts) else tuple(c for p in parts for c in p)
    if not isinstance(node, ast.Name) or node.id in env:
        return None
    name = scope.aliases.get(node.id, node.id if node.id not in scope.bound else None)
    value = getattr(builtins, name, None) if name else None
    return (value,) if isinstance(value, type) else None
