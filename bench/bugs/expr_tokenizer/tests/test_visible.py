import pytest

from lexer import tokenize


def test_numbers_and_ops():
    assert tokenize("1 + 2.5") == [("num", 1.0), ("op", "+"), ("num", 2.5)]


def test_bad_char():
    with pytest.raises(SyntaxError):
        tokenize("2 $ 3")


def test_names():
    assert tokenize("rate*_base") == [("name", "rate"), ("op", "*"), ("name", "_base")]


def test_name_with_digits():
    assert tokenize("x1+y22") == [("name", "x1"), ("op", "+"), ("name", "y22")]
