from names import initials


def test_leading_trailing_spaces():
    assert initials("  alan turing ") == "A.T."


def test_empty():
    assert initials("") == ""
    assert initials("   ") == ""
