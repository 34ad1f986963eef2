from lexer import tokenize


def test_mixed():
    assert [v for _, v in tokenize("(a2_b - 3)*c")] == ["(", "a2_b", "-", 3.0, ")", "*", "c"]


def test_number_then_name():
    assert tokenize("2x") == [("num", 2.0), ("name", "x")]
