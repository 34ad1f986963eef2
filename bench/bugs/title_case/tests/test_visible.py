from titles import title_case


def test_empty():
    assert title_case("") == ""


def test_plain():
    assert title_case("war and peace") == "War and Peace"


def test_caps_lowered():
    assert title_case("GONE wITH the WIND") == "Gone With the Wind"


def test_first_word_small():
    assert title_case("the lord of the rings") == "The Lord of the Rings"
