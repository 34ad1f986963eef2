import pytest

from duration import clock, short, split_seconds


def test_negative():
    with pytest.raises(ValueError):
        split_seconds(-1)


def test_zero():
    assert short(0) == "0s"


def test_clock():
    assert clock(3725) == "1:02:05"


def test_short():
    assert short(90) == "1m 30s"


def test_one_minute():
    assert clock(60) == "0:01:00"
