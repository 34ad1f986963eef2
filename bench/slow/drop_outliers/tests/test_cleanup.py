from gauges.cleanup import drop_outliers


def test_outliers_go_in_place():
    readings = [5, -3, 7, 120, 7]
    assert drop_outliers(readings, 0, 100) is readings
    assert readings == [5, 7, 7]


def test_nothing_to_drop():
    assert drop_outliers([1, 2], 0, 5) == [1, 2]
    assert drop_outliers([], 0, 5) == []
