"""Pickling a recorded call's objects so another process rebuilds them (tools/verify/record_pickle.py)."""

from __future__ import annotations

import pickle
from datetime import timedelta, tzinfo

from suture.tools.verify.record_pickle import dumps


class Zone(tzinfo):
    def __init__(self, minutes, name):
        self.offset, self.name = timedelta(minutes=minutes), name

    def __eq__(self, other):
        return isinstance(other, Zone) and (self.offset, self.name) == (other.offset, other.name)


class Lexed:
    def __init__(self, text):
        self.tokens = (word for word in text.split())
        self.words = list(self.tokens)


def test_an_object_that_pickles_but_does_not_unpickle_is_rebuilt_from_its_state():
    zone = Zone(90, "+01:30")
    try:
        pickle.loads(pickle.dumps(zone))
        raise AssertionError("tzinfo's __reduce__ calls Zone() without its arguments")
    except TypeError:
        pass
    assert pickle.loads(dumps(zone)) == zone


def test_a_used_up_generator_is_an_empty_iterator_and_a_running_one_does_not_pickle():
    lexed = pickle.loads(dumps(Lexed("a b c")))
    assert lexed.words == ["a", "b", "c"] and list(lexed.tokens) == []
    running = (n for n in range(3))
    next(running)
    assert dumps({"gen": running}) is None


def test_a_function_defined_in_a_test_is_rebuilt_with_its_closure_and_annotations():
    scale = 3

    def times(x: int) -> int:
        return x * scale

    rebuilt = pickle.loads(dumps((times, [1, 2])))[0]
    assert rebuilt(2) == 6 and rebuilt.__annotations__ == times.__annotations__ and rebuilt.__name__ == "times"


class Guarded:
    def __init__(self):
        import threading
        self.lock, self.plain_lock, self.items = threading.RLock(), threading.Lock(), [1, 2]


def test_an_object_holding_locks_is_rebuilt_with_new_released_ones_and_deep_copies_in_the_child():
    import copy

    from suture.tools.verify.record_pickle import fresh_locks

    guarded = Guarded()
    with guarded.lock:  # held while recorded: the copy's lock is a new one, released
        data = dumps(guarded)
    assert data is not None
    again = pickle.loads(data)
    assert again.items == [1, 2] and again.lock.acquire(blocking=False) and again.plain_lock.acquire(blocking=False)
    fresh_locks()  # what the comparison's child does: deep copies then work too (and share no lock)
    twin = copy.deepcopy(guarded)
    assert twin.lock is not guarded.lock and twin.plain_lock is not guarded.plain_lock and twin.items == [1, 2]


def test_a_recorded_objects_fields_are_mutated_one_at_a_time_keeping_the_seed():
    import inspect
    import random

    from suture.tools.verify.behaviour_inputs import fields_mutated

    def total(self):
        return self.items

    guarded = Guarded()
    bound = inspect.signature(total).bind(guarded)
    twins = [b.arguments["self"] for b in fields_mutated(bound, random.Random(0))]
    assert twins and all(type(t) is Guarded and t is not guarded for t in twins)
    assert all(t.items != [1, 2] and t.lock is guarded.lock for t in twins)  # only `items` has values to vary
    assert guarded.items == [1, 2]  # the seed is left as recorded
    assert not list(fields_mutated(inspect.signature(total).bind(3), random.Random(0)))  # no fields: nothing
