import pytest

from spans import parse


def test_seconds():
    assert parse("45s") == 45


def test_mixed():
    assert parse("1h30m") == 5400


def test_garbage():
    with pytest.raises(ValueError):
        parse("5x")


def test_days():
    assert parse("2d") == 172800
