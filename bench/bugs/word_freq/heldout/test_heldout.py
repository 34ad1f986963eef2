from freq import most_common, word_counts


def test_counts_sum():
    text = "one two\n\nthree one\nTwo ONE"
    assert sum(word_counts(text).values()) == 6
    assert most_common(text, 1) == [("one", 3)]


def test_apostrophes():
    assert word_counts("don't\nDon't stop") == {"don't": 2, "stop": 1}
