import pytest

from confload.loader import load
from confload.parse import parse_lines


def test_parse_skips_comments():
    assert parse_lines("# hi\n\nport = 1\n") == {"port": "1"}


def test_defaults_int_and_str():
    cfg = load()
    assert cfg["port"] == 8080 and cfg["name"] == "app"


def test_unknown_key():
    with pytest.raises(KeyError):
        load("colour = red")


def test_bool_override():
    assert load("debug = yes")["debug"] is True
