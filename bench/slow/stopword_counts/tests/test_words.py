from textstats.words import content_word_counts


def test_counts_skip_stopwords_and_punctuation():
    text = "The cat and the hat. A cat!"
    assert content_word_counts(text, ["the", "a", "and"]) == {"cat": 2, "hat": 1}


def test_empty_text():
    assert content_word_counts("", ["x"]) == {}


def test_no_stopwords():
    assert content_word_counts("b a b", []) == {"b": 2, "a": 1}
