from titles import title_case


def test_last_word_small():
    assert title_case("what dreams are made of") == "What Dreams Are Made Of"


def test_single_small_word():
    assert title_case("a") == "A"


def test_middle_small():
    assert title_case("a tale of two cities") == "A Tale of Two Cities"
