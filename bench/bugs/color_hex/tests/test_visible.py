import pytest

from colors import parse_hex, to_hex


def test_bad_length():
    with pytest.raises(ValueError):
        parse_hex("#12345")


def test_to_hex():
    assert to_hex((255, 0, 300)) == "#ff00ff"


def test_parse_digits():
    assert parse_hex("#102030") == (16, 32, 48)


def test_parse_letters():
    assert parse_hex("ffa500") == (255, 165, 0)
