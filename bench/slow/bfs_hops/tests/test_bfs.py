from network.bfs import shortest_hops


def test_hops():
    adj = {1: [2, 3], 2: [4], 3: [4], 4: [1]}
    assert shortest_hops(adj, 1) == {1: 0, 2: 1, 3: 1, 4: 2}


def test_lonely_start():
    assert shortest_hops({}, 5) == {5: 0}
