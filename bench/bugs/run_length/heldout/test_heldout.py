import pytest

from rle import decode, encode, from_string, to_string


@pytest.mark.parametrize("text", ["a", "ab", "aaaa", "abba", "zzzzzzzzzzzzy", "hello  world"])
def test_round_trip(text):
    assert decode(encode(text)) == text
    assert decode(from_string(to_string(encode(text)))) == text


def test_single_char():
    assert encode("q") == [("q", 1)]
