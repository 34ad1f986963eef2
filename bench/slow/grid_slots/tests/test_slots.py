import pytest

from racegrid.slots import grid_slots


def test_slots_in_driver_order():
    assert grid_slots(["b", "a"], ["a", "b", "c"]) == [1, 0]


def test_a_driver_not_on_the_grid():
    with pytest.raises(ValueError):
        grid_slots(["z"], ["a"])
