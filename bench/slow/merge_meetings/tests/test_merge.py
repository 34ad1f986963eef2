from calendar_tools.merge import merge_busy


def test_merges_overlaps():
    assert merge_busy([(5, 6), (1, 3), (2, 4)]) == [(1, 4), (5, 6)]


def test_touching_slots_merge():
    assert merge_busy([(1, 2), (2, 3)]) == [(1, 3)]
