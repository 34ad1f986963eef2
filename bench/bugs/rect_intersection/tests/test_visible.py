from rects import area, intersection, iou


def test_area():
    assert area((0, 0, 3, 2)) == 6


def test_identical():
    assert intersection((0, 0, 2, 2), (0, 0, 2, 2)) == (0, 0, 2, 2)


def test_overlap():
    assert intersection((0, 0, 4, 4), (2, 1, 6, 3)) == (2, 1, 4, 3)


def test_disjoint():
    assert intersection((0, 0, 1, 1), (2, 2, 3, 3)) is None
