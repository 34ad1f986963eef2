from logtail.window import tail


def test_last_two():
    assert tail(["a", "b", "c"], 2) == ["b", "c"]


def test_fewer_than_n():
    assert tail(["a"], 5) == ["a"]
