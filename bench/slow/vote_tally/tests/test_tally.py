from election.tally import tally


def test_counts():
    assert tally(["a", "b", "a", "z"], ["a", "b", "c"]) == {"a": 2, "b": 1, "c": 0}


def test_no_candidates():
    assert tally(["a"], []) == {}
