from duration import clock, split_seconds


def test_reassemble():
    for total in range(0, 20000, 37):
        h, m, s = split_seconds(total)
        assert 0 <= m < 60 and 0 <= s < 60
        assert h * 3600 + m * 60 + s == total


def test_long():
    assert clock(100 * 3600 + 59) == "100:00:59"
