from metrics.quantiles import percentiles


def test_median_and_max():
    assert percentiles([5.0, 1.0, 3.0], [0.5, 1.0]) == [3.0, 5.0]


def test_no_points():
    assert percentiles([], []) == []
