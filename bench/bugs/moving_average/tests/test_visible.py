import pytest

from window import max_window_sum, moving_average


def test_bad_window():
    with pytest.raises(ValueError):
        moving_average([1, 2], 0)


def test_too_short():
    assert moving_average([1, 2], 3) == []


def test_windows():
    assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]


def test_max_window_sum_none():
    assert max_window_sum([], 2) is None
