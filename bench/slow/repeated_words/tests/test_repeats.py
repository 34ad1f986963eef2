from proofread.repeats import repeated_words


def test_repeats():
    assert repeated_words(["a", "b", "a", "c", "b"]) == ["a", "b", "a", "b"]


def test_none():
    assert repeated_words(["x"]) == []
