"""Headline-style title case."""

SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to"}


def title_case(text):
    """Capitalise words except small ones, but always the first and last word."""
    words = text.lower().split()
    out = []
    for i, word in enumerate(words):
        if word in SMALL:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)
