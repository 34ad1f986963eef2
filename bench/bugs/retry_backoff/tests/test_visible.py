import pytest

from retry import backoff_delays, retry


def test_delays():
    assert backoff_delays(5, base=1, cap=5) == [1, 2, 4, 5]


def test_success_first_time():
    assert retry(lambda: 42, sleep=lambda s: None) == 42


def test_other_errors_propagate():
    def boom():
        raise KeyError("x")
    with pytest.raises(KeyError):
        retry(boom, sleep=lambda s: None)


def test_retries_then_succeeds():
    calls, slept = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "ok"
    assert retry(flaky, attempts=3, sleep=slept.append) == "ok"
    assert slept == [0.5, 1.0]
