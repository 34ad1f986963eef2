from intervals import merge, total_length


def test_chain_of_touching():
    assert merge([(7, 9), (1, 3), (3, 5), (5, 7)]) == [(1, 9)]


def test_total_length_touching():
    assert total_length([(0, 2), (2, 4), (10, 11)]) == 5


def test_gap_of_one_stays():
    assert merge([(1, 2), (3, 4)]) == [(1, 2), (3, 4)]


def test_input_not_mutated():
    data = [(2, 3), (1, 2)]
    merge(data)
    assert data == [(2, 3), (1, 2)]
