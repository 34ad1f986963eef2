from lookup import get_path, has_path

DOC = {"user": {"name": "ada", "tags": ["x", "y"], "manager": None}, "n": 3}


def test_simple():
    assert get_path(DOC, "user.name") == "ada"


def test_list_index():
    assert get_path(DOC, "user.tags.1") == "y"


def test_missing_key():
    assert get_path(DOC, "user.email", "-") == "-"


def test_null_leaf_gives_default():
    assert get_path(DOC, "user.manager", "none") == "none"
