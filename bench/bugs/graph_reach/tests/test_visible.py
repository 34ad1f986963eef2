from graph import distances, reachable


def test_isolated():
    assert distances({}, "a") == {"a": 0}


def test_chain():
    assert distances({"a": ["b"], "b": ["c"]}, "a") == {"a": 0, "b": 1, "c": 2}


def test_reachable():
    assert reachable({"a": ["b"], "c": ["a"]}, "a") == {"a", "b"}


def test_cycle_back_to_start():
    assert distances({"a": ["b"], "b": ["a"]}, "a") == {"a": 0, "b": 1}
