"""Comparing two values: the one rule for "did the two versions give the same result".

Used wherever suture decides that two runs behaved alike: the Hypothesis differential
run, the CPython replay of an equivalence counterexample (which also judges what CrossHair's
`diffbehavior` reports), `optimize`'s replay of recorded workload calls, and the tests
`write_pytest_test` writes. The rule, and why:

- Exact types: 1, 1.0 and True differ (`repr`, `type()` and `isinstance` tell them apart, so
  a rewrite that turns an int result into a float changes behaviour). The base version of a
  module is loaded as a sibling (`pkg._suture_base_mod`), so its classes are other class
  objects than the candidate's: a class counts as the same type when its qualified name is
  the same once that prefix is taken off ("twins"), and twins are compared by state.
- Floats: NaN equals NaN (any NaN: a NaN result is the behaviour, not its bits). Under the
  "exact" policy 0.0 and -0.0 differ (`repr`, `1/x` and `math.copysign` see the sign, and so
  does `canonical`, which the timed runs compare); "isclose" takes math.isclose
  (rel_tol=1e-9, abs_tol=1e-12), signs of zero included. The same holds at any depth: inside
  a set or as a dict key too (where Python's own == would let 0.0 stand for -0.0 and 1 for
  True), and in STANDALONE_SAME, the copy the written pytest files carry.
- Containers element by element, in order: lists, tuples, dicts (key order is behaviour,
  iteration sees it); sets as sets (elements matched one to one when hashing cannot).
- Iterators and generators (anything with `__next__`, files excepted) by what they yield:
  `consume` takes at most ITEM_LIMIT items, notes whether the iterator ended there and the
  exception it raised mid-way, and does the same for iterators inside what it takes (a list
  of iterators, groupby's groups). Both sides are consumed the same way, so an infinite
  iterator is compared on its prefix. Which iterator type yields them does not count
  (`map` for a generator is a fair rewrite).
- Objects whose class defines `__eq__` are asked (dataclasses field by field, so the float
  rule reaches inside). Objects without one are compared by type and state (`vars()` and
  `__slots__`, recursively, at most MAX_DEPTH levels); functions, classes and modules by
  their qualified name. What has neither an `__eq__` nor readable state (C objects such as
  a regex match, closures, a lock) raises `Incomparable`: never a difference from identity alone.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
import sys
import types
from typing import Any, Iterator

__all__ = [
    "FLOAT_POLICIES", "ITEM_LIMIT", "Consumed", "Incomparable", "STANDALONE_SAME", "canonical", "consume",
    "is_iterator", "qualified_name", "replayed", "same_value", "short_repr",
]

FLOAT_POLICIES = ("exact", "isclose")
ITEM_LIMIT = 1000  # items taken from one iterator
TOTAL_ITEM_LIMIT = 20_000  # items taken from all the iterators in one value (nested ones share it)
MAX_DEPTH = 150  # levels of nesting compared (an object and its attribute dict are two)
_SET_MATCH_LIMIT = 200  # sets up to this size are matched element by element when == says no
BASE_PREFIX = "_suture_base_"  # the stem prefix of the base version's module (counterexample.load_base_module)


class Incomparable(Exception):
    """The two values cannot be compared (no `__eq__`, no readable state): neither same nor different."""


@dataclasses.dataclass(eq=False)
class Consumed:
    """What an iterator yielded: its first items (each consumed in turn), whether it ended there,
    and the exception it raised while iterating ((qualified type name, message) or None).

    `rest` and `error` keep the live iterator and exception for `replayed`; they are dropped
    when pickled (optimize's recorder sends outcomes to another process).
    """

    items: list[Any]
    ended: bool
    raised: tuple[str, str] | None = None
    rest: Any = dataclasses.field(default=None, repr=False)
    error: BaseException | None = dataclasses.field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"items": self.items, "ended": self.ended, "raised": self.raised, "rest": None, "error": None}

    def __repr__(self) -> str:
        tail = f" then raises {self.raised[0].rpartition('.')[2]}: {self.raised[1]}" if self.raised else (
            "" if self.ended else f" (first {len(self.items)} items, more follow)")
        return f"<iterator yielding {self.items!r}{tail}>"


def is_iterator(value: Any) -> bool:
    return (hasattr(type(value), "__next__") and hasattr(type(value), "__iter__")
            and not isinstance(value, (str, bytes, bytearray, io.IOBase)))


def consume(value: Any, limit: int = ITEM_LIMIT, _budget: list[int] | None = None, _depth: int = 0) -> Any:
    """`value` with each iterator in it (at the top, inside lists, tuples and dict values, and
    inside the items it yields) replaced by a `Consumed`. Containers without iterators come back as they are."""
    budget = _budget if _budget is not None else [TOTAL_ITEM_LIMIT]
    if _depth > 8:
        return value
    if is_iterator(value):
        items: list[Any] = []
        ended, raised, error = False, None, None
        while len(items) < limit and budget[0] > 0:
            try:
                item = next(value)
            except StopIteration:
                ended = True
                break
            except Exception as exc:  # noqa: BLE001 - what the iterator raises is part of its behaviour
                ended, raised, error = True, (qualified_name(type(exc)), str(exc)), exc
                break
            budget[0] -= 1
            items.append(consume(item, limit, budget, _depth + 1))
        return Consumed(items, ended, raised, None if ended else value, error)
    if type(value) in (list, tuple):
        inner = [consume(item, limit, budget, _depth + 1) for item in value]
        if any(a is not b for a, b in zip(inner, value)):
            return type(value)(inner)
    elif type(value) is dict:
        inner_values = {k: consume(v, limit, budget, _depth + 1) for k, v in value.items()}
        if any(inner_values[k] is not v for k, v in value.items()):
            return inner_values
    return value


def replayed(value: Any) -> Any:
    """`consume`'s result as the caller of the function would have had it: each `Consumed` back
    as an iterator over its items that then raises what the original raised, or goes on with
    the original iterator's rest. (optimize's recorder hands this to the workload.)"""
    if isinstance(value, Consumed):
        return _replay_iterator(value)
    if type(value) in (list, tuple):
        return type(value)(replayed(item) for item in value)
    if type(value) is dict:
        return {k: replayed(v) for k, v in value.items()}
    return value


def _replay_iterator(consumed: Consumed) -> Iterator[Any]:
    for item in consumed.items:
        yield replayed(item)
    if consumed.error is not None:
        raise consumed.error
    if consumed.rest is not None:
        yield from consumed.rest


# ---------------------------------------------------------------- the comparison


def qualified_name(cls_or_function: Any) -> str:
    """"module.Qualname", the base version's module named as the candidate's (its twin)."""
    module = getattr(cls_or_function, "__module__", None) or ""
    if BASE_PREFIX in module:
        package, _, stem = module.rpartition(".")
        module = (package + "." if package else "") + stem.removeprefix(BASE_PREFIX)
    return f"{module}.{getattr(cls_or_function, '__qualname__', type(cls_or_function).__qualname__)}"


def _twins(a: type, b: type) -> bool:
    """Two class objects that are one class: the base version's and the candidate's."""
    return a is not b and qualified_name(a) == qualified_name(b) and BASE_PREFIX in (a.__module__ + b.__module__)


def same_value(a: Any, b: Any, float_policy: str = "exact") -> bool:
    """Do `a` and `b` count as the same result (see the module docstring)? Iterators must have
    been `consume`d first (raw ones are consumed here, which exhausts them).
    Raises Incomparable when that cannot be told."""
    if float_policy not in FLOAT_POLICIES:
        raise ValueError(f"float_policy must be one of {FLOAT_POLICIES}, not {float_policy!r}")
    try:
        return _same(a, b, float_policy, 0)
    except RecursionError:
        raise Incomparable("the values are nested too deep to compare") from None


def _same(a: Any, b: Any, policy: str, depth: int) -> bool:
    if depth > MAX_DEPTH:
        raise Incomparable(f"the values are nested deeper than {MAX_DEPTH} levels")
    if a is b and not isinstance(a, Consumed):
        return True
    if is_iterator(a) or is_iterator(b):
        a, b = consume(a), consume(b)
    ta, tb = type(a), type(b)
    if ta is not tb:
        if _twins(ta, tb):
            return _same_state(a, b, policy, depth)
        return False
    if ta is float:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if policy == "isclose":
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if ta is complex:
        return _same(a.real, b.real, policy, depth + 1) and _same(a.imag, b.imag, policy, depth + 1)
    if ta is Consumed:
        return (a.ended == b.ended and _raised_alike(a.raised, b.raised) and len(a.items) == len(b.items)
                and all(_same(x, y, policy, depth + 1) for x, y in zip(a.items, b.items)))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, policy, depth + 1) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(_same(ka, kb, policy, depth + 1) and _same(a[ka], b[kb], policy, depth + 1)
                                        for ka, kb in zip(a, b))
    if isinstance(a, (set, frozenset)):
        return _same_set(a, b, policy, depth)
    if ta.__name__ == "ndarray" and "numpy" in sys.modules:
        return _same_array(a, b)
    if dataclasses.is_dataclass(a) and getattr(ta, "__dataclass_params__", None) and ta.__dataclass_params__.eq:
        return all(_same(getattr(a, f.name), getattr(b, f.name), policy, depth + 1)
                   for f in dataclasses.fields(a) if f.compare)
    if isinstance(a, BaseException):
        return _same(a.args, b.args, policy, depth + 1)
    if ta.__eq__ is not object.__eq__:
        try:
            equal = bool(a == b)
        except Exception as exc:  # noqa: BLE001 - a user __eq__ may raise anything
            raise Incomparable(f"{ta.__qualname__}.__eq__ raised {exc.__class__.__name__}") from None
        if not equal and _self_unequal(a) and _self_unequal(b):
            return True  # NaN-like (Decimal('NaN')): unequal to itself on both sides
        return equal
    return _same_state(a, b, policy, depth)


def _raised_alike(a: tuple[str, str] | None, b: tuple[str, str] | None) -> bool:
    return (a is None) == (b is None) and (a is None or a[0] == b[0])  # type: ignore[index]


def _self_unequal(value: Any) -> bool:
    try:
        return bool(value != value)
    except Exception:  # noqa: BLE001
        return False


def _same_set(a: Any, b: Any, policy: str, depth: int) -> bool:
    if len(a) != len(b):
        return False
    try:
        # `a == b` alone said {0.0} is {-0.0} and {1} is {True}, which the rule tells apart
        # everywhere else: so each element is held against the one of `b` it hashed to.
        if a == b:
            partner = {y: y for y in b}
            if all(_same(x, partner[x], policy, depth + 1) for x in a):
                return True
    except Incomparable:
        raise
    except Exception:  # noqa: BLE001 - a user __eq__ or __hash__ may raise anything
        pass
    if len(a) > _SET_MATCH_LIMIT:
        return False
    left = list(b)
    for x in a:  # NaN and twin-class elements do not hash alike: match them one to one
        match = next((i for i, y in enumerate(left) if _same(x, y, policy, depth + 1)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def _same_array(a: Any, b: Any) -> bool:
    numpy = sys.modules["numpy"]
    try:
        return a.dtype == b.dtype and bool(numpy.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    except Exception:  # noqa: BLE001 - object arrays refuse equal_nan
        return bool(numpy.array_equal(a, b))


def _same_state(a: Any, b: Any, policy: str, depth: int) -> bool:
    """Objects without their own `__eq__` (or twins): by their type's name and their state."""
    if isinstance(a, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType)):
        name_a, name_b = qualified_name(a), qualified_name(b)
        if "<locals>" in name_a or "<lambda>" in name_a:
            raise Incomparable(f"{short_repr(a, 80)} is a local function: only its identity could tell")
        if isinstance(a, types.MethodType):
            return name_a == name_b and _same(a.__self__, b.__self__, policy, depth + 1)
        return name_a == name_b
    state_a, state_b = _state(a), _state(b)
    if state_a is None or state_b is None:
        raise Incomparable(f"{type(a).__qualname__} objects have no __eq__ and no state to compare")
    return _same(state_a, state_b, policy, depth + 1)


def _state(value: Any) -> dict[str, Any] | None:
    """`vars()` plus the `__slots__` values; None when part of the object's state is out of
    Python's sight: a C type's fields (a regex match, a lock, a bare object())."""
    cls = type(value)
    if cls is object:
        return None
    for klass in cls.__mro__[:-1]:
        own = vars(klass)
        slots = own.get("__slots__", ())
        slots = [slots] if isinstance(slots, str) else list(slots)
        # Each slot, __dict__ and __weakref__ is one pointer; a layout larger than that holds C fields.
        pointers = len(slots) + ("__dict__" in own) + ("__weakref__" in own)
        if klass.__basicsize__ - (klass.__base__ or object).__basicsize__ > pointers * 8:
            return None
    state: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        slots = vars(klass).get("__slots__", ())
        for slot in [slots] if isinstance(slots, str) else slots:
            if isinstance(slot, str) and slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                state[slot] = getattr(value, slot)
    state.update(getattr(value, "__dict__", {}) or {})
    return dict(sorted(state.items()))  # attribute order is not behaviour


# ---------------------------------------------------------------- texts of values


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def short_repr(value: Any, limit: int = 200) -> str:
    """repr(value), cut at `limit`; an object with the default repr shown by its state (`Box(v=1)`)."""
    try:
        state = _state(value) if type(value).__repr__ is object.__repr__ else None
        if state is not None:
            text = f"{type(value).__qualname__}({', '.join(f'{k}={v!r}' for k, v in state.items())})"
        else:
            text = repr(value)
    except Exception:  # noqa: BLE001
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def canonical(value: Any, depth: int = 0) -> str:
    """A text of `value` that is the same in every run (no addresses, sets sorted): how two
    processes compare results they cannot hand each other (optimize's timed runs)."""
    if depth > 50:
        return "..."
    if isinstance(value, Consumed):
        tail = f"!{value.raised[0]}" if value.raised else ("" if value.ended else "+")
        return "iter[" + ",".join(canonical(v, depth + 1) for v in value.items) + "]" + tail
    if isinstance(value, (set, frozenset)):
        return type(value).__name__ + "{" + ",".join(sorted(canonical(v, depth + 1) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "[" + ",".join(canonical(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{canonical(k, depth + 1)}:{canonical(v, depth + 1)}" for k, v in value.items()) + "}"
    if type(value).__repr__ is object.__repr__ and hasattr(value, "__dict__"):
        return type(value).__qualname__ + canonical(vars(value), depth + 1)
    return _ADDRESS.sub("", repr(value))


# The same rule for the pytest files suture writes (tools/counterexample.write_pytest_test):
# they must run where suture is not installed, so they carry this copy of the core of
# `same_value` (types exact, NaN equal, signed zero, containers in order, iterators by what
# they yield). tests/test_verifier.py checks that it agrees with `same_value`.
STANDALONE_SAME = '''\
def _same(a, b):
    """Equal as suture compares results: exact types, NaN equal to NaN, 0.0 unlike -0.0,
    containers element by element in order, iterators by the items they yield."""
    if all(hasattr(type(v), "__next__") and not isinstance(v, (str, bytes)) for v in (a, b)):
        a, b = list(a), list(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(_same(x, y) and _same(a[x], b[y]) for x, y in zip(a, b))
    if isinstance(a, (set, frozenset)):
        left = list(b)
        for x in a:
            match = next((i for i, y in enumerate(left) if _same(x, y)), None)
            if match is None:
                return False
            left.pop(match)
        return not left
    return a == b
'''
