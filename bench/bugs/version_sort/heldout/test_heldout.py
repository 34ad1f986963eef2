from versions import is_upgrade, newest


def test_sort_many():
    versions = ["0.9", "0.10", "0.10.1", "1.0", "0.2", "10.0", "9.99"]
    assert newest(versions) == "10.0"
    assert sorted(versions, key=__import__("versions").version_key) == \
        ["0.2", "0.9", "0.10", "0.10.1", "1.0", "9.99", "10.0"]


def test_longer_is_newer():
    assert is_upgrade("1.2", "1.2.1")
