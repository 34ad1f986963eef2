"""The check's hard time cap: seconds left, and the stop that names what did not happen."""

from __future__ import annotations

import time

from suture.tools.testing.testrun import TERM_GRACE_SECONDS

__all__ = ["Clock", "OutOfTime", "STOP_RESERVE", "MAP_STOP_RESERVE"]

# Seconds kept back from a test run for stopping it and reading it when the cap cuts it off. The
# coverage-map run, which the cap cuts routinely, gets testrun's whole SIGTERM-then-SIGKILL sequence
# (a test inside a long C call, such as importing a huge module, does not see SIGTERM, and testrun
# waits its grace twice before the SIGKILL). The covering-test runs, short and rarely cut, get a
# second: one that the cap cuts while a test sits in C code can overrun by up to testrun's grace.
STOP_RESERVE = 1.0
MAP_STOP_RESERVE = 2 * TERM_GRACE_SECONDS + 1.0


class OutOfTime(Exception):
    """The time cap was reached; `what` names the part of the check that did not happen."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Clock:
    def __init__(self, cap: float) -> None:
        self.started = time.monotonic()
        self.cap = cap

    def left(self) -> float:
        return self.cap - (time.monotonic() - self.started)

    def need(self, seconds: float, what: str) -> float:
        """Seconds left, or OutOfTime when fewer than `seconds` remain."""
        left = self.left()
        if left < seconds:
            raise OutOfTime(what)
        return left

    def budget(self, what: str, reserve: float = STOP_RESERVE) -> float:
        """Seconds to give a test run so that stopping it still ends within the cap (`reserve` is
        kept back, at most a third of what is left), or OutOfTime."""
        left = self.need(1.0, what)
        return left - min(reserve, left / 3)

    def elapsed(self) -> float:
        return time.monotonic() - self.started
