import pytest

from kv import content_length, parse_headers


def test_malformed():
    with pytest.raises(ValueError):
        parse_headers("nonsense")


def test_blank_line_ends():
    assert parse_headers("") == {}


def test_basic():
    assert parse_headers("Host: example.org\nAccept: */*") == {"host": "example.org", "accept": "*/*"}


def test_content_length():
    assert content_length("Content-Length: 42\n\nbody") == 42
