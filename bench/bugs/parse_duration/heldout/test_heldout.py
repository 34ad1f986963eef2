import pytest

from spans import parse


def test_all_units():
    assert parse("1d2h3m4s") == 86400 + 7200 + 180 + 4
    assert parse(" 1D ") == 86400


@pytest.mark.parametrize("bad", ["", "h", "10", "1h 2m", "1w"])
def test_rejects(bad):
    with pytest.raises(ValueError):
        parse(bad)
