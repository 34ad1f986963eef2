import statistics

import pytest

from stats import median


@pytest.mark.parametrize("values", [[1, 2], [0.5, 0.25], [-3, 4, 10, 11], [7], [1, 1, 2, 2]])
def test_against_stdlib(values):
    assert median(values) == statistics.median(values)
