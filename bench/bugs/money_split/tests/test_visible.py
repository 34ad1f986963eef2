import pytest

from split import split_by_weights, split_evenly


def test_bad_parts():
    with pytest.raises(ValueError):
        split_evenly(100, 0)


def test_even():
    assert split_evenly(300, 3) == [100, 100, 100]


def test_remainder():
    assert split_evenly(100, 3) == [34, 33, 33]


def test_weights():
    assert split_by_weights(100, [1, 1, 2]) == [25, 25, 50]
