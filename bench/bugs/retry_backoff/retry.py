"""Retrying a flaky operation with exponential backoff (sleep is injectable for tests)."""

import time


def backoff_delays(attempts, base=0.5, cap=8.0):
    return [min(cap, base * 2 ** i) for i in range(attempts - 1)]


def retry(operation, attempts=3, retry_on=(ConnectionError,), sleep=time.sleep):
    """Call `operation` until it succeeds; re-raise the last error after `attempts` tries."""
    delays = backoff_delays(attempts)
    for attempt in range(attempts):
        try:
            return operation()
        except retry_on:
            if attempt != attempts - 1:
                raise
            sleep(delays[attempt])
