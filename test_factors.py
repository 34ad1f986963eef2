from factors import get_factors

def test_one():
    assert get_factors(1) == []

def test_composite():
    assert get_factors(100) == [2, 2, 5, 5]

def test_prime():
    assert get_factors(13) == [13]

def test_mixed():
    assert get_factors(84) == [2, 2, 3, 7]
