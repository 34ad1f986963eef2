from tree import build, height


def test_chain():
    assert height(build(range(10))) == 10


def test_single():
    assert height(build([4])) == 1


def test_balanced_order():
    assert height(build([4, 2, 6, 1, 3, 5, 7])) == 3
