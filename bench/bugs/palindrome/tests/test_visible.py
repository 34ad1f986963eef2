from textcheck import is_palindrome, normalize


def test_simple():
    assert is_palindrome("racecar")


def test_not():
    assert not is_palindrome("python")


def test_normalize():
    assert normalize("A man, a plan!") == "amanaplan"


def test_sentence():
    assert is_palindrome("Was it a car or a cat I saw?")


def test_single_letter():
    assert is_palindrome("x")
