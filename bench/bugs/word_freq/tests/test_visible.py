from freq import most_common, word_counts


def test_empty():
    assert word_counts("") == {}


def test_one_line():
    assert word_counts("The cat and the hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}


def test_many_lines():
    assert word_counts("a b\nb c\nc") == {"a": 1, "b": 2, "c": 2}


def test_most_common_ties_alphabetical():
    assert most_common("b a", 2) == [("a", 1), ("b", 1)]
