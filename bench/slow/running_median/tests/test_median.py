from signals.median import running_medians


def test_medians():
    assert running_medians([5, 1, 4, 2, 3], 3) == [4, 2, 3]


def test_window_larger_than_samples():
    assert running_medians([1], 2) == []
