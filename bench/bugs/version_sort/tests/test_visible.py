from versions import is_upgrade, newest


def test_single_digits():
    assert newest(["1.2.0", "1.3.0", "1.1.9"]) == "1.3.0"


def test_not_upgrade():
    assert not is_upgrade("2.0", "1.9")


def test_same_is_not_upgrade():
    assert not is_upgrade("1.2.3", "1.2.3")


def test_two_digit_minor():
    assert is_upgrade("1.9.0", "1.10.0")
