import pytest

from minstack import MinStack


def test_push_pop():
    s = MinStack()
    s.push(3)
    s.push(1)
    assert s.pop() == 1 and len(s) == 1


def test_minimum():
    s = MinStack()
    for v in [5, 2, 7, 1]:
        s.push(v)
    s.pop()
    assert s.minimum() == 2


def test_pop_empty():
    with pytest.raises(IndexError):
        MinStack().pop()


def test_peek_empty():
    assert MinStack().peek() is None
