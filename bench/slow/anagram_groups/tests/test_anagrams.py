from wordgames.anagrams import anagram_groups


def test_groups():
    assert anagram_groups(["tea", "eat", "tan", "ate", "nat"]) == [["tea", "eat", "ate"], ["tan", "nat"]]


def test_empty():
    assert anagram_groups([]) == []
