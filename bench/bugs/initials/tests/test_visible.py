from names import initials, last_first


def test_initials():
    assert initials("grace brewster hopper") == "G.B.H."


def test_single():
    assert initials("plato") == "P."


def test_double_space():
    assert initials("ada  lovelace") == "A.L."


def test_last_first():
    assert last_first("Grace Hopper") == "Hopper, Grace"
