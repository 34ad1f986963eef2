import pytest

from search import contains, find


@pytest.mark.parametrize("n", range(0, 12))
def test_every_position(n):
    items = list(range(0, 3 * n, 3))
    for i, x in enumerate(items):
        assert find(items, x) == i
    assert find(items, -1) == -1
    assert find(items, 3 * n) == -1


def test_single():
    assert find([7], 7) == 0
    assert not contains([7], 8)
