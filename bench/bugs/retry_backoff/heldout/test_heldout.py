import pytest

from retry import retry


def test_gives_up():
    calls, slept = [], []

    def down():
        calls.append(1)
        raise ConnectionError("down")
    with pytest.raises(ConnectionError):
        retry(down, attempts=4, sleep=slept.append)
    assert len(calls) == 4 and slept == [0.5, 1.0, 2.0]


def test_single_attempt():
    with pytest.raises(ConnectionError):
        retry(lambda: (_ for _ in ()).throw(ConnectionError()), attempts=1, sleep=lambda s: None)
