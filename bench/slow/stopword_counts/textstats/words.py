"""Word statistics for the weekly newsletter report."""


def content_word_counts(text: str, stopwords: list[str]) -> dict[str, int]:
    """How often each word that is not a stop word occurs, in first-seen order."""
    counts = {}
    for word in text.lower().split():
        word = word.strip(".,;:!?\"'()")
        if not word or word in stopwords:
            continue
        counts[word] = counts.get(word, 0) + 1
    return counts
