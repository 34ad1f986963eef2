from rects import intersection, iou


def test_contained():
    assert intersection((0, 0, 10, 10), (2, 3, 4, 5)) == (2, 3, 4, 5)


def test_touching_is_none():
    assert intersection((0, 0, 1, 1), (1, 0, 2, 1)) is None


def test_iou():
    assert iou((0, 0, 2, 2), (1, 0, 3, 2)) == 2 / 6
    assert iou((0, 0, 1, 1), (5, 5, 6, 6)) == 0
