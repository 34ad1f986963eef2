from feed.timeline import newest_first


def test_newest_first():
    events = [(1, "ann", "login"), (2, "bob", "login"), (3, "ann", "post")]
    assert newest_first(events, "ann") == ["3: post", "1: login"]


def test_unknown_user():
    assert newest_first([(1, "ann", "x")], "zoe") == []
