from split import split_evenly


def test_properties():
    for total in range(0, 250, 7):
        for parts in range(1, 12):
            shares = split_evenly(total, parts)
            assert sum(shares) == total and len(shares) == parts
            assert max(shares) - min(shares) <= 1
            assert shares == sorted(shares, reverse=True)
