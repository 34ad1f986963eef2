"""Stand-ins for the functions the tests pass: callable arguments the behaviour comparison can build.

A test that calls `retry(flaky, attempts=3, sleep=slept.append)` passes a local function and a
bound method: no literal, no strategy, so the comparison (tools/verify/behaviour.py) had no input
at all for `retry`, and two passing patches of it could never be held side by side (their choice
was left open as "not compared"). What such a parameter does with its argument is plain from the
code: it calls it. So the tests' calls are kept with each non-literal argument of a parameter the
function calls (or whose default is a function) replaced by a small family of recording callables:
one that returns a constant, one that returns its argument, and ones that raise an exception the
function itself names (a default such as `retry_on=(ConnectionError,)`, an `except` clause) a few
times before returning. Each records how it was called, so a version that calls it more often or
with other arguments (`sleep(0.5)` once more) is seen to behave differently; state is compared as
any object's (tools/verify/values.py). Nothing here runs code under test.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from typing import Any

__all__ = ["MARKER", "STAND_IN", "callable_parameters", "exceptions_named", "stand_ins"]

# The seed text of a test call's argument that is not a literal (agent/fix/evidence.py writes it).
MARKER = "<not a literal>"
STAND_IN = "stand-in"  # the label of a seed whose non-literal arguments were stood in for
MAX_EXCEPTIONS = 2  # exception types named by the function that the stand-ins raise, at most
FAILURES = (1, 2, 10)  # times a raising stand-in raises before it returns


class Recorder:
    """Returns `value` (or its first argument when `echo`), recording each call's arguments."""

    def __init__(self, value: Any = None, echo: bool = False) -> None:
        self.value, self.echo, self.calls = value, echo, []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs) if kwargs else args)
        return args[0] if self.echo and args else self.value

    def __repr__(self) -> str:
        return f"<fn -> {'arg' if self.echo else repr(self.value)}{_called(self.calls)}>"


class FailsThen(Recorder):
    """Raises `error` the first `failures` calls, then returns `value`."""

    def __init__(self, error: type, failures: int, value: Any = None) -> None:
        super().__init__(value)
        self.error, self.failures = error, failures

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        value = super().__call__(*args, **kwargs)
        if len(self.calls) <= self.failures:
            raise self.error("raised by a stand-in")
        return value

    def __repr__(self) -> str:
        return f"<fn raises {self.error.__name__} x{self.failures}, then -> {self.value!r}{_called(self.calls)}>"


def _called(calls: list[Any]) -> str:
    return f", called x{len(calls)}" if calls else ""


def callable_parameters(fn: Any) -> set[str]:
    """The parameters `fn` calls (`operation()`) or whose default is a function (`sleep=time.sleep`)."""
    try:
        signature = inspect.signature(fn)
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, ValueError, SyntaxError, IndentationError):
        return set()
    found = {name for name, p in signature.parameters.items()
             if p.default is not inspect.Parameter.empty and callable(p.default) and not isinstance(p.default, type)}
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return found | (called & set(signature.parameters))


def exceptions_named(fn: Any) -> list[type]:
    """Exception classes `fn` names in its defaults and `except` clauses, first named first."""
    found: list[type] = []

    def add(value: Any) -> None:
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, type) and issubclass(item, Exception) and item not in found:
                found.append(item)

    try:
        for parameter in inspect.signature(fn).parameters.values():
            add(parameter.default)
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, ValueError, SyntaxError, IndentationError):
        return found[:MAX_EXCEPTIONS]
    names = {**vars(builtins), **getattr(fn, "__globals__", {})}
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            parts = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            for part in parts:
                if isinstance(part, ast.Name):
                    add(names.get(part.id))
    return found[:MAX_EXCEPTIONS]


def stand_ins(fn: Any) -> list[Any]:
    """The family of callables put in for one non-literal argument (each deep-copied per call)."""
    family: list[Any] = [Recorder(0), Recorder(echo=True), Recorder(1)]
    for error in exceptions_named(fn):
        family += [FailsThen(error, failures, 1) for failures in FAILURES]
    return family
