from lexer.tokens import tokenize_lines


def test_tokens():
    assert tokenize_lines(["x = 42+y_1"]) == [["x", "=", "42", "+", "y_1"]]


def test_blank_line():
    assert tokenize_lines(["   "]) == [[]]
