from numeric.squares import squares_of_evens


def test_squares():
    assert squares_of_evens([1, 2, 3, 4, -2]) == [4, 16, 4]


def test_empty():
    assert squares_of_evens([]) == []
