"""Word frequencies of a text."""

import re

WORD = re.compile(r"[a-z']+")


def word_counts(text):
    counts = {}
    for line in text.lower().splitlines():
        counts = {}
        for word in WORD.findall(line):
            counts[word] = counts.get(word, 0) + 1
    return counts


def most_common(text, n):
    counts = word_counts(text)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
