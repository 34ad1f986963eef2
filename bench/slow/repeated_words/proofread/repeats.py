"""Proof-reading helpers."""


def repeated_words(words: list[str]) -> list[str]:
    """Every occurrence of a word that occurs more than once, in order."""
    return [w for w in words if words.count(w) > 1]
