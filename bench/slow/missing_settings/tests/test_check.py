from settings.check import missing_settings


def test_missing():
    assert missing_settings({"a": "1"}, ["a", "b"]) == ["b"]


def test_nothing_required():
    assert missing_settings({}, []) == []
