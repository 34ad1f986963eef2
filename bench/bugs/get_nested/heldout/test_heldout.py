from lookup import get_path, has_path

DOC = {"a": [{"b": None}, {"b": {"c": 1}}], "s": "text"}


def test_null_leaf():
    assert get_path(DOC, "a.0.b", 7) == 7


def test_deep_through_null():
    assert get_path(DOC, "a.0.b.c") is None
    assert get_path(DOC, "a.1.b.c") == 1


def test_has_path():
    assert has_path(DOC, "a.1.b.c")
    assert not has_path(DOC, "a.0.b.c")
    assert not has_path(DOC, "s.x")
    assert not has_path(DOC, "a.9")
