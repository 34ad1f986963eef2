from selection import max_by, top_n


def test_agrees_with_builtin_max():
    words = "the cat sat on a mat with hat and bat".split()
    assert max_by(words, len) == max(words, key=len)
    assert max_by(words, lambda w: w[-1]) == max(words, key=lambda w: w[-1])


def test_negative_keys():
    assert max_by([-5, -2, -9], lambda x: x) == -2


def test_top_n_agrees():
    words = "bb a ccc dd e".split()
    assert top_n(words, len, 1) == [max_by(words, len)]
