from graph import distances

G = {1: [2, 3], 2: [4], 3: [4, 1], 4: [1, 5], 5: []}


def test_shortest():
    assert distances(G, 1) == {1: 0, 2: 1, 3: 1, 4: 2, 5: 3}


def test_self_loop():
    assert distances({"x": ["x", "y"]}, "x") == {"x": 0, "y": 1}
