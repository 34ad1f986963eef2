import pytest

from histogram import bin_counts, render


def test_bad_range():
    with pytest.raises(ValueError):
        bin_counts([1], 5, 5, 2)


def test_simple():
    assert bin_counts([0, 1, 2, 3], 0, 4, 2) == [2, 2]


def test_out_of_range_ignored():
    assert bin_counts([-1, 11], 0, 10, 5) == [0] * 5


def test_upper_edge_in_last_bin():
    assert bin_counts([10], 0, 10, 5) == [0, 0, 0, 0, 1]


def test_render():
    assert render([1, 0]) == "  0 #\n  1 "
