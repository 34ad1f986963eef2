from textcheck import is_palindrome, longest_palindromic_word


def test_more():
    assert is_palindrome("No 'x' in Nixon")
    assert not is_palindrome("ab, c")
    assert is_palindrome("")


def test_longest_word():
    assert longest_palindromic_word("wow, a kayak at noon!") == "kayak"
