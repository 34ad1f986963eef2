from histogram import bin_counts


def test_total_preserved():
    values = [i / 7 for i in range(0, 71)]
    assert sum(bin_counts(values, 0, 10, 4)) == len(values)


def test_edges():
    assert bin_counts([0, 2.5, 5, 7.5, 10], 0, 10, 4) == [1, 1, 1, 2]
