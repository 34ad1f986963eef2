from roman import from_roman, to_roman


def test_round_trip_all():
    for n in range(1, 4000):
        assert from_roman(to_roman(n)) == n


def test_known():
    assert from_roman("MMMCMXCIX") == 3999
    assert from_roman("III") == 3
