"""tools/verify/values.py: the one rule for "the two versions gave the same result"."""

from __future__ import annotations

import dataclasses
import itertools
import math
import pickle
import re
import types

import pytest

from suture.tools.verify.values import (
    ITEM_LIMIT, STANDALONE_SAME, Consumed, Incomparable, canonical, consume, replayed, same_value, short_repr,
)

nan = float("nan")


class Point:
    def __init__(self, x):
        self.x = x


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b


@dataclasses.dataclass
class Reading:
    value: float


def gen(items, fail_at=None):
    for index, item in enumerate(items):
        if index == fail_at:
            raise ValueError("boom")
        yield item


# (a, b, same under "exact")
TABLE = [
    (1, 1.0, False),
    (1, True, False),
    (1.0, 1.0, True),
    (nan, float("nan"), True),
    (0.0, -0.0, False),
    (math.inf, float("inf"), True),
    ([1, nan, {"a": (nan,)}], [1, nan, {"a": (nan,)}], True),
    ([1, 2], [2, 1], False),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),  # iteration order is behaviour
    ((1, 2), [1, 2], False),
    ("ab", "ab", True),
    # The reconciled rule holds at any depth: Python's == lets 0.0 stand for -0.0 and 1 for True
    # inside sets and as dict keys, where the rule (and its standalone copy) used to follow it.
    ({0.0}, {-0.0}, False),
    ({1}, {True}, False),
    (frozenset({(0.0, 1)}), frozenset({(-0.0, 1)}), False),
    ({0.0: "x"}, {-0.0: "x"}, False),
    ({nan: 1}, {float("nan"): 1}, True),
    ({nan, 1.0}, {float("nan"), 1.0}, True),
    ({1, 2, 3}, {3, 2, 1}, True),
]


@pytest.mark.parametrize("a, b, same", TABLE)
def test_the_rule_on_plain_values(a, b, same):
    assert same_value(a, b) is same


@pytest.mark.parametrize("a, b, same", TABLE)
def test_the_copy_written_into_generated_tests_agrees(a, b, same):
    scope = {"math": math}
    exec(STANDALONE_SAME, scope)  # noqa: S102 - our own source
    assert scope["_same"](a, b) is same


def test_float_policy():
    assert same_value(0.1 + 0.2, 0.3, "isclose") and not same_value(0.1 + 0.2, 0.3)
    assert same_value(0.0, -0.0, "isclose")
    assert same_value({0.0}, {-0.0}, "isclose") and same_value({0.0: 1}, {-0.0: 1}, "isclose")
    assert same_value(Reading(0.1 + 0.2), Reading(0.3), "isclose")  # reaches inside dataclasses
    assert not same_value(Reading(0.1 + 0.2), Reading(0.3))
    with pytest.raises(ValueError):
        same_value(1, 1, "roughly")


def test_iterators_compare_by_what_they_yield():
    assert same_value(consume(gen([1, 2])), consume(iter([1, 2])))  # which iterator type does not count
    assert same_value(consume(itertools.takewhile(bool, [1, 2, 0])), consume(map(int, "12")))
    assert not same_value(consume(gen([1, 2])), consume(gen([1, 3])))
    assert not same_value(consume(gen([1, 2])), consume(gen([1, 2, 3])))
    assert not same_value(consume(gen([1, 2])), [1, 2])  # an iterator is not a list
    # An exception raised mid-way is part of the behaviour, its type decides.
    assert same_value(consume(gen([1, 2, 3], fail_at=1)), consume(gen([1, 5], fail_at=1)))
    assert not same_value(consume(gen([1, 2, 3], fail_at=1)), consume(gen([1, 2, 3])))
    # Infinite ones are compared on their prefix, and say they did not end.
    left, right = consume(itertools.count()), consume(itertools.count())
    assert len(left.items) == ITEM_LIMIT and not left.ended and same_value(left, right)
    assert not same_value(left, consume(itertools.count(1)))
    # Raw iterators are consumed by same_value itself.
    assert same_value(gen([1]), iter([1]))


def test_iterators_inside_results_and_items_are_consumed_in_turn():
    grouped = consume(itertools.groupby("aab"))
    assert [(key, group.items) for key, group in grouped.items] == [("a", ["a", "a"]), ("b", ["b"])]
    divided = consume([iter([1, 2]), iter([3])])
    assert same_value(divided, consume([gen([1, 2]), gen([3])]))
    assert not same_value(divided, consume([iter([1]), iter([2, 3])]))


def test_consumed_pickles_and_replays_for_the_caller():
    source = gen([1, 2, 3], fail_at=2)
    consumed = consume(source)
    again = pickle.loads(pickle.dumps(consumed))
    assert same_value(again, consumed) and again.rest is None
    replay = replayed(consumed)
    assert next(replay) == 1 and next(replay) == 2
    with pytest.raises(ValueError):
        next(replay)
    long = consume(itertools.count(), limit=3)
    assert list(itertools.islice(replayed(long), 5)) == [0, 1, 2, 3, 4]  # goes on with the rest


def test_objects_without_eq_compare_by_type_and_state():
    assert same_value(Point(1), Point(1)) and not same_value(Point(1), Point(2))
    assert same_value(Point(Point([nan])), Point(Point([nan])))
    assert same_value(Slotted(1, [2]), Slotted(1, [2])) and not same_value(Slotted(1, 2), Slotted(1, 3))
    assert short_repr(Point(3)) == "Point(x=3)"


@dataclasses.dataclass
class Box:
    v: int


def test_the_base_versions_classes_are_twins_of_the_candidates():
    # The base version of a module is loaded as a sibling `_suture_base_<stem>`: other class objects.
    package, _, stem = __name__.rpartition(".")
    base = types.new_class("Box", exec_body=lambda ns: ns.update(
        __init__=lambda self, v: setattr(self, "v", v), __module__=(package + "." if package else "") + "_suture_base_" + stem))
    assert base is not Box
    assert same_value(base(1), Box(1)) and not same_value(base(1), Box(2))
    assert not same_value(Point(1), Box(1))  # other classes are other types, whatever their state


def test_what_only_identity_could_tell_is_incomparable_not_different():
    for a, b in [(object(), object()), (re.match("a", "a"), re.match("a", "a")), (lambda: 1, lambda: 1)]:
        with pytest.raises(Incomparable):
            same_value(a, b)
    with pytest.raises(Incomparable):
        same_value([1, object()], [1, object()])
    assert not same_value([1, object()], [2, object()])  # a difference before it still counts
    assert same_value(math.sqrt, math.sqrt) and same_value(int, int)


def test_decimal_nan_and_sets_of_nan():
    from decimal import Decimal

    assert same_value(Decimal("NaN"), Decimal("NaN"))
    assert same_value({1, nan}, {1, float("nan")}) and not same_value({1, 2}, {1, 3})


def test_canonical_has_no_addresses_and_sorted_sets():
    class Thing:
        pass

    assert "0x" not in canonical([object(), Thing()])
    assert canonical({"b", "a", "c"}) == canonical({"c", "b", "a"})
    assert canonical(consume(gen([1, 2]))) == canonical(consume(iter([1, 2])))
    assert canonical(consume(gen([1, 2]))) != canonical(consume(gen([1, 2], fail_at=1)))
    assert isinstance(consume(gen([])), Consumed)


def test_deep_and_cyclic_structures():
    def chain(n, end):
        head = Point(end)
        for _ in range(n):
            head = Point(head)
        return head

    assert same_value(chain(60, 1), chain(60, 1)) and not same_value(chain(60, 1), chain(60, 2))
    loop = Point(None)
    loop.x = loop
    other = Point(None)
    other.x = other
    with pytest.raises(Incomparable):
        same_value(loop, other)
