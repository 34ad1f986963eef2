from traverse import level_order, levels


def test_agrees_with_levels():
    tree = {0: [1, 2, 3], 1: [4], 2: [5, 6], 4: [7], 6: [8, 9]}
    assert level_order(tree, 0) == [n for level in levels(tree, 0) for n in level]


def test_chain():
    assert level_order({1: [2], 2: [3]}, 1) == [1, 2, 3]
