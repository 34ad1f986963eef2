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
