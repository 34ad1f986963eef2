"""Pickling a recorded call's objects so that another process can rebuild them (tools/verify/receivers.py).

Plain pickle first, checked by loading it back: some objects pickle but do not unpickle (a `tzinfo`
subclass whose `__init__` takes arguments: tzinfo's `__reduce__` rebuilds it by calling the class
with none) and some do not pickle at all (an object holding a generator it has used up, a function
defined inside a test). When plain pickle fails either way, a second pickler rebuilds:

- an instance of a class that defines no pickling of its own from its bare `__new__` and its
  `__dict__` (what pickle does for a plain object, here also under a builtin base's `__reduce__`);
- a generator that has finished as an empty iterator (it yields nothing more either way);
- a function defined in a function (a test's local helper) from its code, its module's globals
  (the module imported by name where it is rebuilt, else the builtins alone), defaults, annotations
  and closure.

Whatever comes out is loaded back once before it is kept: a call that does not rebuild is not an
input. Nothing here writes anywhere.
"""

from __future__ import annotations

import builtins
import copyreg
import importlib
import inspect
import io
import marshal
import pickle
import threading
import types
from typing import Any

__all__ = ["LOCK_TYPES", "dumps", "fresh_locks"]

# Their instances hold builtin data (items, args) that a bare __new__ plus __dict__ would lose.
_BUILTIN_DATA = (BaseException, dict, list, set, frozenset, tuple, str, bytes, bytearray, int, float, complex)
# The lock types and what makes a new, released one of each (by reference: both pickle by name).
LOCK_TYPES = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}
_OWN_PICKLING = ("__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__getnewargs__",
                 "__getnewargs_ex__", "__getinitargs__")


def dumps(value: Any, max_bytes: int | None = None) -> bytes | None:
    """`value` pickled so that it loads back (plain pickle, else the rebuilding pickler); None when neither
    does, or when it takes more than `max_bytes` (not loaded back then: a fixture's whole world is no input)."""
    for pickler in (pickle.Pickler, _Rebuilding):
        buffer = io.BytesIO()
        try:
            pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
            data = buffer.getvalue()
            if max_bytes is not None and len(data) > max_bytes:
                return None
            pickle.loads(data)
            return data
        except Exception:  # noqa: BLE001 - the project's own code runs in both directions: anything may be raised
            continue
    return None


class _Rebuilding(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in LOCK_TYPES:
            return LOCK_TYPES[type(obj)], ()
        if isinstance(obj, types.GeneratorType):
            if inspect.getgeneratorstate(obj) == inspect.GEN_CLOSED:
                return iter, ((),)
            return NotImplemented
        if isinstance(obj, types.FunctionType) and "<locals>" in obj.__qualname__:
            return _function, (marshal.dumps(obj.__code__), obj.__module__, obj.__name__, obj.__qualname__,
                               obj.__defaults__, obj.__kwdefaults__, dict(obj.__annotations__),
                               tuple(cell.cell_contents for cell in obj.__closure__ or ()))
        kind = type(obj)
        if isinstance(obj, type) or not hasattr(obj, "__dict__") or isinstance(obj, _BUILTIN_DATA):
            return NotImplemented
        if kind.__module__ == "builtins" or _defines_own_pickling(kind):
            return NotImplemented
        return copyreg.__newobj__, (kind,), dict(vars(obj))


def _defines_own_pickling(kind: type) -> bool:
    """Does a Python class in `kind`'s MRO define how its instances pickle? (Then that is respected.)"""
    for klass in kind.__mro__:
        if klass is object or klass.__module__ == "builtins" or not hasattr(klass, "__dict__"):
            continue
        if isinstance(getattr(klass, "__dict__", None), types.MappingProxyType) and \
                any(isinstance(klass.__dict__.get(name), types.FunctionType) for name in _OWN_PICKLING):
            return True
    return False


def _function(code: bytes, module: str, name: str, qualname: str, defaults: Any, kwdefaults: Any,
              annotations: dict[str, Any], cells: tuple[Any, ...]) -> types.FunctionType:
    """A local function rebuilt (see the module docstring)."""
    try:
        namespace = importlib.import_module(module).__dict__
    except Exception:  # noqa: BLE001 - a test module that does not import here: its builtins only
        namespace = {"__builtins__": builtins}
    function = types.FunctionType(marshal.loads(code), namespace, name, defaults,
                                  tuple(types.CellType(value) for value in cells) or None)
    function.__qualname__, function.__kwdefaults__, function.__annotations__ = qualname, kwdefaults, annotations
    function.__module__ = module
    return function


def fresh_locks() -> None:
    """Let `copy.deepcopy` (and plain pickle) in this process copy a lock as a new, released one, as the
    rebuilding pickler does. For the comparison's child only (tools/verify/behaviour_child.py): each
    version runs on deep copies of a recorded object, and an object holding a lock otherwise fails to
    copy and is shared between the versions, so one version's effects leak into the next's call."""
    for kind, make in LOCK_TYPES.items():
        copyreg.pickle(kind, lambda lock, make=make: (make, ()))
