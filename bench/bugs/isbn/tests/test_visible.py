from isbn import valid_isbn10, valid_isbn13


def test_isbn13():
    assert valid_isbn13("978-0-306-40615-7")
    assert not valid_isbn13("978-0-306-40615-8")


def test_isbn10_bad_length():
    assert not valid_isbn10("12345")


def test_isbn10_valid():
    assert valid_isbn10("0-306-40615-2")


def test_isbn10_x():
    assert valid_isbn10("0-8044-2957-X")
