from merge import deep_merge, merge_all


def test_flat():
    assert deep_merge({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}


def test_nested():
    assert deep_merge({"db": {"host": "x", "port": 1}}, {"db": {"port": 2}}) == {"db": {"host": "x", "port": 2}}


def test_layers():
    assert merge_all([{"a": 1}, {"a": 2}, {"c": 3}]) == {"a": 2, "c": 3}


def test_flatten():
    from merge import flatten

    assert flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == {"a.b": 1, "a.c.d": 2, "e": 3}


def test_flatten_empty_dict_kept():
    from merge import flatten

    assert flatten({"a": {}}) == {"a": {}}
