"""Palindromes, ignoring case, spaces and punctuation."""


def normalize(text):
    kept = []
    for ch in text.lower():
        if not ch.isalnum():
            kept.append(ch)
    return "".join(kept)


def is_palindrome(text):
    cleaned = normalize(text)
    return cleaned == cleaned[::-1]


def longest_palindromic_word(text):
    words = [w for w in text.split() if len(normalize(w)) > 1 and is_palindrome(w)]
    return max(words, key=lambda w: len(normalize(w)), default=None)
