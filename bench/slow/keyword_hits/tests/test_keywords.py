from search.keywords import keyword_hits


def test_case_insensitive():
    assert keyword_hits("The Printer is on FIRE", ["fire", "Printer", "paper"]) == ["fire", "Printer"]


def test_empty_document():
    assert keyword_hits("", ["a", ""]) == [""]
