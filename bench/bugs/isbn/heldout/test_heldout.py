from isbn import valid_isbn10


def test_invalid_check_digits():
    for last in "013456789X":
        assert not valid_isbn10("0-306-40615-" + last)


def test_more_valid():
    assert valid_isbn10("0198526636")
    assert valid_isbn10("097522980X")
