from ledger_match.pairs import matching_pairs


def test_pairs():
    assert matching_pairs([5, -5, 3, 5]) == [(0, 1), (1, 3)]


def test_zero_pairs_with_itself_only_once():
    assert matching_pairs([0]) == []
