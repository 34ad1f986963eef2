from window import max_window_sum, moving_average


def test_window_of_one_is_identity():
    assert moving_average([4, 8, 15], 1) == [4, 8, 15]


def test_whole_series():
    assert moving_average([2, 4, 6], 3) == [4]


def test_max_sum_last_window():
    assert max_window_sum([1, 1, 1, 9, 9], 2) == 18
