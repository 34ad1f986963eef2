from graphs.walk import reachable


def test_walks_depth_first():
    edges = {1: [2, 3], 2: [4], 3: [4], 4: []}
    assert reachable(edges, 1) == [1, 3, 4, 2]


def test_isolated_start():
    assert reachable({}, 7) == [7]
