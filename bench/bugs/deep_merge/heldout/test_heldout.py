from merge import deep_merge, merge_all


def test_inputs_untouched():
    base = {"x": {"y": 1}}
    deep_merge(base, {"x": {"z": 2}})
    assert base == {"x": {"y": 1}}


def test_replace_non_dict():
    assert deep_merge({"a": {"b": 1}}, {"a": 5}) == {"a": 5}


def test_empty():
    assert merge_all([]) == {}
    assert deep_merge({}, {}) == {}
