"""Real objects for comparing methods: the receivers and arguments the project's own tests pass.

A method needs an object of its class, and no strategy builds one that the code's invariants
accept (a `Cart` with lines and a coupon, a `Slot` whose start is before its end). The tests
already build valid ones. So the tests that run the method are run once at the base commit with
this module as a pytest plugin: at entry to the method it pickles `self` and the arguments (the
state before the call, which the call may change), with the test's node id. The behaviour
comparison (tools/verify/behaviour_child.py) then calls every version on those objects. A
module-level function whose tests pass it built values (`shortest_path(parse(text), ...)`, a
`Stock` from a helper) is recorded the same way.

Parent side: `record_receivers`. Plugin side (inside the tests' pytest, named by `-p`): the hooks
below, steered by two environment variables. Nothing is written anywhere: the records come back on
the run's stdout.
"""

from __future__ import annotations

import base64
import functools
import importlib
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

from suture.tools.verify.record_pickle import dumps

__all__ = ["MAX_RECORDS", "NO_OBJECT", "getter_of", "record_receivers", "resolve_callable"]

# Why a method could not be compared: the end of its "unknown" sentence (agent/fix/evidence.py caps on it).
NO_OBJECT = "it needs an object of its class, and none could be built (the tests' calls of it did not record)"
TARGET_ENV = "SUTURE_RECEIVERS_TARGET"  # "module:Class.method"
MARKER = "SUTURE-RECEIVERS "  # the stdout line the records come back on
MAX_RECORDS = 60  # calls kept; the comparison mutates the arguments of each, so a few dozen are plenty
MAX_PICKLE_BYTES = 50_000  # one call's objects; a larger one is a fixture's whole world, not an input
MAX_TESTS = 40  # test ids passed to the recording run


def record_receivers(root: Path, module: str, qualname: str, tests: list[str], *, time_limit: float,
                     env: dict[str, str]) -> list[tuple[str, str]]:
    """Run `tests` under pytest in `root`, recording each call of `module`'s `qualname`: a list of
    (the test's node id, the call's (args, kwargs) pickled and base64-encoded), empty when nothing
    could be recorded (the run failed or timed out, the objects do not pickle). The tests' own
    outcomes do not matter: a failing test builds valid objects too."""
    from suture.tools.verify.bounded_run import run_bounded

    if not tests:
        return []
    env = {**env, TARGET_ENV: f"{module}:{qualname}"}
    # Every test runs to its end (no -x); the records come back on stdout, after pytest's own lines.
    command = [sys.executable, "-m", "pytest", "-q", "--tb=no", "--no-header", "-p", "no:cacheprovider",
               "-p", "suture.tools.verify.receivers", *tests[:MAX_TESTS]]
    try:
        done = run_bounded(command, cwd=root, time_limit=time_limit, env=env)
    except OSError:
        return []
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            try:
                records = json.loads(line[len(MARKER):])
            except ValueError:
                return []
            return [(str(test), str(data)) for test, data in records][:MAX_RECORDS]
    return []


def getter_of(raw: Any) -> Any:
    """The function behind a computed attribute (a `property` or a subclass of it, such as toolz's
    `instanceproperty`; a `functools.cached_property`), None for anything else. Such an attribute is
    a method of one argument, `self`: compared and recorded through that function, on the objects
    the tests read it from."""
    if isinstance(raw, property):
        return raw.fget
    if isinstance(raw, functools.cached_property):
        return raw.func
    return None


def resolve_callable(module: Any, qualname: str) -> Any:
    """`qualname` in `module`, a computed attribute as its getter (`getter_of`): read off the class
    it would return the property object, or whatever the descriptor gives on the class (None for
    an `instanceproperty` without a class value)."""
    owner_name, _, name = qualname.rpartition(".")
    owner: Any = module
    for part in [p for p in owner_name.split(".") if p]:
        owner = getattr(owner, part)
    if isinstance(owner, type):
        getter = getter_of(inspect.getattr_static(owner, name, None))
        if getter is not None:
            return getter
    return getattr(owner, name)


class _RecordedRead:
    """A computed attribute's stand-in while the tests run: each read from an object records it, then
    reads through the attribute itself. As a `functools.cached_property` it has no __set__, so the value
    cached in the object's __dict__ is read from there afterwards, as without the recorder."""

    def __init__(self, raw: Any, record: Any) -> None:
        self.raw, self.record = raw, record

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is not None:
            self.record((obj,), {})
        return self.raw.__get__(obj, objtype)


class _RecordedProperty(_RecordedRead):
    """As `_RecordedRead` for a property (a data descriptor): its setter, deleter and a subclass's
    class value are the property's own."""

    def __set__(self, obj: Any, value: Any) -> None:
        self.raw.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.raw.__delete__(obj)


# ====================================================================== plugin side

_records: list[tuple[str, str]] = []  # (test node id, base64 of the pickled (args, kwargs))
_current = {"test": ""}


def pytest_runtest_setup(item: Any) -> None:
    _current["test"] = item.nodeid


def pytest_collection_finish(session: Any) -> None:
    """The test modules are imported now, so the target is the class the tests use: wrap its method
    (or the module-level function, wherever it is bound)."""
    target = os.environ.get(TARGET_ENV, "")
    module_name, _, qualname = target.partition(":")
    if not module_name or not qualname:
        return
    try:
        owner: Any = importlib.import_module(module_name)
        for part in qualname.split(".")[:-1]:
            owner = getattr(owner, part)
        name = qualname.rsplit(".", 1)[-1]
        original = owner.__dict__[name]
    except Exception:  # noqa: BLE001 - not importable here: nothing is recorded
        return
    getter = getter_of(original)
    function = getter if getter is not None else original
    if not callable(function):
        return

    if getter is not None:
        kind = _RecordedProperty if isinstance(original, property) else _RecordedRead
        setattr(owner, name, kind(original, _record))
        return

    @functools.wraps(function)
    def recording(*args: Any, **kwargs: Any) -> Any:
        _record(args, kwargs)
        return function(*args, **kwargs)

    setattr(owner, name, recording)
    if "." not in qualname:
        # A module-level function: the tests (and other modules) bound it by name on import
        # (`from shop.cart import total`), so every such binding is pointed at the recorder too.
        for module in list(sys.modules.values()):
            for attribute, value in list(getattr(module, "__dict__", {}).items()):
                if value is original:
                    setattr(module, attribute, recording)


def _record(args: tuple, kwargs: dict) -> None:
    if len(_records) < MAX_RECORDS:
        data = dumps((args, kwargs), MAX_PICKLE_BYTES)
        if data is not None:
            _records.append((_current["test"], base64.b64encode(data).decode("ascii")))


def pytest_unconfigure(config: Any) -> None:
    if os.environ.get(TARGET_ENV):
        stream = sys.__stdout__
        stream.write("\n" + MARKER + json.dumps(_records) + "\n")
        stream.flush()
