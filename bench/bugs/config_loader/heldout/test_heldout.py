import pytest

from confload.loader import coerce, load


def test_default_bool_is_false():
    assert load()["debug"] is False


@pytest.mark.parametrize("raw,expected", [("On", True), ("0", False), ("NO", False), ("true", True)])
def test_coerce_bool(raw, expected):
    assert coerce(raw, "bool") is expected


def test_bad_bool():
    with pytest.raises(ValueError):
        load("debug = maybe")
