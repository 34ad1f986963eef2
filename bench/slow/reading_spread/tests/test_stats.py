from sensors.stats import reading_spread


def test_spread():
    assert reading_spread([3, -1, 7]) == 8


def test_empty_is_zero():
    assert reading_spread([]) == 0
