"""The inputs the behaviour comparison derives from the tests' own calls (tools/verify/behaviour.py):
the code's constants put in, values mutated keeping their shape, the calls' own values shared between
positions, arguments shrunk and grown by one element. Pure functions of the seed: nothing is run here.
"""

from __future__ import annotations

import ast
import bisect
import copy
import inspect
import math
import random
import textwrap
import types
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["MAX_CONSTANT_SEEDS", "constants_of", "fields_mutated", "mutants", "mutated", "recombined", "resized",
           "with_constants"]

MAX_CONSTANTS = 24  # the code's constants (and integer neighbours) put into the seeds, at most
MAX_CONSTANT_SEEDS = 4  # seeds the constants are put into (each gets every fitting constant per argument)
MAX_TABLE_ITEMS = 8  # keys of a module-level table the code reads, at most
MAX_CONSTANT_TEXT = 20  # longer string literals are messages, not values to compare on
MAX_RECOMBINED = 16  # recombined inputs per seed, at most
MAX_ATOMS = 12  # the seed's own scalar values shared between positions, at most
MAX_DEPTH = 3  # levels of nested containers recombined
MAX_FIELD_MUTANTS = 24  # objects with one field mutated, per seed, at most
FIELD_VARIANTS = 3  # ... and variants of each field


def _with(bound: inspect.BoundArguments, name: str, value: Any) -> inspect.BoundArguments:
    arguments = dict(bound.arguments)
    arguments[name] = value
    return inspect.BoundArguments(bound.signature, arguments)  # type: ignore[arg-type]


def mutated(bound: inspect.BoundArguments, rng: random.Random) -> Iterator[inspect.BoundArguments]:
    names = list(bound.arguments)
    for round_ in range(2):  # one argument at a time, then every argument at once
        if round_ == 1 and len(names) < 2:
            return
        for index in range(5):
            if round_ == 0:
                for name in names:
                    variants = mutants(bound.arguments[name], rng)
                    if index < len(variants):
                        yield _with(bound, name, variants[index])
            else:
                changed = bound
                for name in names:
                    variants = mutants(bound.arguments[name], rng)
                    if variants:
                        changed = _with(changed, name, rng.choice(variants))
                yield changed


def fields_mutated(bound: inspect.BoundArguments, rng: random.Random) -> Iterator[inspect.BoundArguments]:
    """The seed with one field of one object argument mutated (`mutants`, shape kept): a method whose
    only argument is `self` (boltons' `ThresholdCounter.values`) has no other value to vary, and the
    recorded object's fields are values of the kinds the code reads (a count map, a bucket number).
    The object is a shallow twin with that one field replaced (the comparison deep-copies each input
    before a call); objects whose fields cannot be set that way are left out."""
    made = 0
    for name, value in bound.arguments.items():
        fields = _fields(value)
        for field_name, current in fields.items():
            for variant in mutants(current, rng)[:FIELD_VARIANTS]:
                twin = _with_field(value, field_name, variant)
                if twin is None:
                    break
                yield _with(bound, name, twin)
                made += 1
                if made >= MAX_FIELD_MUTANTS:
                    return


def _fields(value: Any) -> dict[str, Any]:
    """An instance's own fields (its `__dict__`), {} for builtin values, classes, functions and modules."""
    if isinstance(value, (type, types.FunctionType, types.MethodType, types.ModuleType)) or \
            type(value).__module__ == "builtins":
        return {}
    state = getattr(value, "__dict__", None)
    return dict(state) if isinstance(state, dict) else {}


def _with_field(value: Any, name: str, variant: Any) -> Any:
    try:
        twin = copy.copy(value)
        if twin is value or getattr(twin, "__dict__", None) is getattr(value, "__dict__", None):
            return None
        twin.__dict__[name] = variant  # not setattr: a frozen dataclass or a validating __setattr__ says nothing here
        return twin
    except Exception:  # noqa: BLE001 - a user __reduce__ or __copy__ may raise anything
        return None


def mutants(value: Any, rng: random.Random, depth: int = 0) -> list[Any]:
    """Values of the same shape as `value` (type and length kept), nearest first."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, -value, value * 2 + 1, rng.randint(-50, 50)]
    if isinstance(value, float):
        return [value + 0.5, -value, value * 1.5 + 0.25, round(rng.uniform(-50, 50), 2)]
    if isinstance(value, str) and value:
        at = rng.randrange(len(value))
        return [value[::-1], value[:at] + chr((ord(value[at]) + 1) % 0x110000 or 65) + value[at + 1:], value.swapcase()]
    if isinstance(value, (list, tuple)) and value and depth < 3:
        kind = type(value)
        items = list(value)
        out = [kind(reversed(items))]
        at = rng.randrange(len(items))
        for variant in mutants(items[at], rng, depth + 1)[:3]:
            out.append(kind(items[:at] + [variant] + items[at + 1:]))
        shuffled = items[:]
        rng.shuffle(shuffled)
        out.append(kind(shuffled))
        out.append(kind((mutants(item, rng, depth + 1) or [item])[-1] for item in items))
        return out
    if isinstance(value, dict) and value and depth < 3:
        key = rng.choice(list(value))
        return [{**value, key: variant} for variant in mutants(value[key], rng, depth + 1)[:3]]
    return []


def constants_of(functions: Iterable[Any]) -> list[Any]:
    """The literal numbers and short strings in the compared functions' code, every version's
    (a patch's new constant is where it parts from its rivals), with each integer's neighbours.

    A condition's boundary is usually one of the code's own constants (`year % 400 == 0`,
    `if n > 10`), and random or mutated values rarely hit it: seeding inputs with the constants of
    the code under test is the classic remedy (EvoSuite; Fraser and Arcuri, "The seed is strong",
    ICST 2012). A module-level name the code reads (`if quantity > BULK:`) counts with its value: a
    boundary is as often a named constant as a literal; a module-level table it reads (a dict, a
    list) gives its keys or items, the values its lookups accept. No constant of any particular
    program is named here."""
    found: list[Any] = []
    for fn in functions:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        except (OSError, TypeError, SyntaxError, IndentationError):
            continue
        module_names = getattr(fn, "__globals__", {})
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant):
                values = [node.value]
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                values = table_items(module_names.get(node.id))  # only numbers and short strings pass below
            else:
                continue
            for item in (c for value in values for c in scalar_candidates(value)):
                if not any(type(item) is type(seen) and item == seen for seen in found):
                    found.append(item)
    return found[:MAX_CONSTANTS]


def table_items(value: Any) -> list[Any]:
    """A module-level name's value as constants: the value itself, or a table's keys or items (the
    currencies of `PER_EUR = {"EUR": 1.0, "USD": 1.1}` are the values a `convert(amount, frm, to)`
    must be called with to reach anything but its error path)."""
    if isinstance(value, dict):
        return list(value)[:MAX_TABLE_ITEMS]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)[:MAX_TABLE_ITEMS]
    return [value]


def scalar_candidates(value: Any) -> list[Any]:
    """A constant and, for an integer, its neighbours; [] for what is not a number or short string."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int) and abs(value) < 10**12:
        return [value, value - 1, value + 1]
    if isinstance(value, float) and math.isfinite(value):
        return [value]
    if isinstance(value, str) and len(value) <= MAX_CONSTANT_TEXT:
        return [value]
    return []


def with_constants(bound: inspect.BoundArguments, constants: list[Any]) -> Iterator[inspect.BoundArguments]:
    """The seed with one argument at a time replaced by each constant of its type (an int
    argument takes the integer constants, a float one floats and integers as floats)."""
    for name, value in bound.arguments.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            fitting = [c for c in constants if type(c) is int]
        elif isinstance(value, float):
            fitting = [float(c) for c in constants if type(c) in (int, float)]
        elif isinstance(value, str):
            fitting = [c for c in constants if type(c) is str]
        else:
            continue
        for constant in fitting:
            if not (type(constant) is type(value) and constant == value):
                yield _with(bound, name, constant)


def resized(bound: inspect.BoundArguments) -> Iterator[inspect.BoundArguments]:
    """Each sized argument one element shorter and one longer (a new shape: shrunk and grown)."""
    for name, value in bound.arguments.items():
        if isinstance(value, (str, list, tuple)) and value:
            yield _with(bound, name, value[:-1])
            yield _with(bound, name, value + value[-1:])


# ---------------------------------------------------------------- recombined


def recombined(bound: inspect.BoundArguments) -> Iterator[inspect.BoundArguments]:
    """The seed with its own values shared between positions: a scalar argument replaced by another
    value of its type the call holds, a list grown by such a value or by a copy of its first element,
    an element replaced by one, a dict given one of its keys' values under a new key.

    Mutation keeps the seed's shape and its values apart; many faults live where values meet: two
    paths to one node of a graph (`{'a': ['b'], 'b': ['c']}` gives `{'a': ['b', 'c'], 'b': ['c']}`),
    a duplicate in a list, a key that is also a value, a start that is not the first node. The
    values come from the call itself, so they are of the kinds the tests pass and meet where the
    code looks them up. At most MAX_RECOMBINED per seed, taken from each argument in turn."""
    atoms = _atoms(list(bound.arguments.values()))
    if len(atoms) < 2:
        return
    streams = [_named(name, _shared(value, atoms, 0)) for name, value in bound.arguments.items()]
    made = 0
    while streams and made < MAX_RECOMBINED:
        for stream in list(streams):
            item = next(stream, None)
            if item is None:
                streams.remove(stream)
                continue
            yield _with(bound, *item)
            made += 1
            if made >= MAX_RECOMBINED:
                return


def _named(name: str, variants: Iterator[Any]) -> Iterator[tuple[str, Any]]:
    for variant in variants:
        yield name, variant


def _atom(value: Any) -> bool:
    return (isinstance(value, (str, int)) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value))


def _atoms(values: list[Any], depth: int = 0, found: list[Any] | None = None) -> list[Any]:
    """The scalar values (strings, numbers) in `values` and in their lists, tuples, sets and dicts (keys
    and values), first seen first, each once (1 and 1.0 and True apart)."""
    found = [] if found is None else found
    for value in values:
        if len(found) >= MAX_ATOMS:
            break
        if _atom(value):
            if not any(type(value) is type(seen) and value == seen for seen in found):
                found.append(value)
        elif depth < MAX_DEPTH and isinstance(value, (list, tuple, set, frozenset)):
            _atoms(sorted(value, key=repr) if isinstance(value, (set, frozenset)) else list(value), depth + 1, found)
        elif depth < MAX_DEPTH and isinstance(value, dict):
            _atoms([x for pair in value.items() for x in pair], depth + 1, found)
    return found


def _same_kind(atoms: list[Any], like: Any) -> list[Any]:
    return [a for a in atoms if type(a) is type(like) and a != like]


def _shared(value: Any, atoms: list[Any], depth: int) -> Iterator[Any]:
    """Variants of `value` with the call's other values put in (see `recombined`)."""
    if _atom(value):
        yield from _same_kind(atoms, value)
    elif depth < MAX_DEPTH and type(value) in (list, tuple) and value:
        yield from _shared_sequence(value, atoms, depth)
    elif depth < MAX_DEPTH and type(value) is dict and value:
        yield from _shared_dict(value, atoms, depth)


def _shared_sequence(value: Any, atoms: list[Any], depth: int) -> Iterator[Any]:
    kind, items = type(value), list(value)
    first = items[0]
    if _atom(first) and all(type(item) is type(first) for item in items):
        for atom in [a for a in _same_kind(atoms, first) if a not in items][:4]:
            yield kind(_grown(items, atom))  # grown by a value held elsewhere in the call
    yield kind(_grown(items, copy.deepcopy(first)))  # a duplicate
    ordered = _ordered(items)
    for at, item in enumerate(items[:3]):  # an element given another of the call's values (order kept)
        for variant in list(_shared(item, atoms, depth + 1))[:2]:
            changed = items[:at] + [variant] + items[at + 1:]
            if not ordered or _ordered(changed):
                yield kind(changed)


def _grown(items: list[Any], item: Any) -> list[Any]:
    """`items` with `item` added: at its place when they are sorted (a sorted list the tests pass is
    a precondition, such as a binary search's, and an input that breaks it is outside what the
    function accepts), else at the end."""
    try:
        at = bisect.bisect_right(items, item) if _ordered(items) else len(items)
    except TypeError:
        at = len(items)
    return items[:at] + [item] + items[at:]


def _ordered(items: list[Any]) -> bool:
    try:
        return all(a <= b for a, b in zip(items, items[1:]))
    except TypeError:
        return False


def _shared_dict(value: dict, atoms: list[Any], depth: int) -> Iterator[Any]:
    keys = list(value)
    for key in keys[:4]:  # a value grown or changed the same ways
        for variant in list(_shared(value[key], atoms, depth + 1))[:3]:
            yield {**value, key: variant}
    for atom in [a for a in _same_kind(atoms, keys[0]) if a not in value][:2]:  # a value held under a new key
        for key in keys[:2]:
            yield {**value, atom: copy.deepcopy(value[key])}
