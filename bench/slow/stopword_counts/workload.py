"""Workload for stopword_counts: `make_input(scale)` builds the arguments of TARGET; at SCALE the original
takes at least 50 ms per call on the bench machine."""

import random

TARGET = "textstats.words:content_word_counts"
SCALE = 4000


def make_input(scale):
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(scale // 4 + 10)]
    stopwords = vocab[: scale // 10 + 5]
    text = " ".join(rng.choice(vocab) for _ in range(scale * 5))
    return text, stopwords

