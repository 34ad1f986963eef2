"""Word-game helpers."""


def anagram_groups(words: list[str]) -> list[list[str]]:
    """Words grouped by anagram class, groups in order of first appearance."""
    groups = []
    for word in words:
        for group in groups:
            if sorted(group[0]) == sorted(word):
                group.append(word)
                break
        else:
            groups.append([word])
    return groups
