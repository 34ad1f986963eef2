from rle import decode, encode, from_string, to_string


def test_empty():
    assert encode("") == []


def test_decode():
    assert decode([("a", 2), ("b", 1)]) == "aab"


def test_encode_runs():
    assert encode("aaabcc") == [("a", 3), ("b", 1), ("c", 2)]


def test_from_string_multi_digit():
    assert from_string("12x1y") == [("x", 12), ("y", 1)]


def test_to_string():
    assert to_string([("x", 12)]) == "12x"
