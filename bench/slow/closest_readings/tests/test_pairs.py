from telemetry.pairs import closest_gap


def test_gap():
    assert closest_gap([10, 3, 7, 20]) == 3


def test_too_few():
    assert closest_gap([5]) is None
