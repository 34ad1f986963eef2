"""The rival search after the first accepted candidate: a window of more candidates, gated in search
of a simpler patch or of rivals that pass the tests too and behave otherwise (agent/fix/choose.py).

Why it may stop early for hangs: a candidate that makes a test run past its per-test limit costs
that whole limit (1-5 s, against ~0.3 s for one that fails), and it can never be a rival: a test
that hangs is a failing test. Around a loop that never ended at HEAD most neighbouring edits leave
it looping, so the window was mostly hangs: in the never-ending binary search, 16 of 25 rivals hung
and took 32 of the run's 50 gate-seconds. Once HANG_STOP_AFTER rivals have hung and they are at least
HANG_STOP_SHARE of those gated, the rest of the window is left unsearched and the report says so
(`rival_search`), with how many were left; a window where hangs stay a minority runs to its end.

Rivals' tests also get a shorter per-test limit: the rule the hanging tests at HEAD already get
(tools/testing/testrun.py, hang_limits), HANG_LIMIT_MULTIPLE times the slowest test that passed at the
baseline (timed under coverage, slower than a gate's run), at least HANG_LIMIT_FLOOR, never more
than the candidates' own limit. A rival hang cost that limit's 5 s floor at default settings; it now
costs 1 s unless the suite has slow tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from suture.tools.testing.testrun import HANG_LIMIT_FLOOR, HANG_LIMIT_MULTIPLE

__all__ = ["RivalSearch", "rival_test_limit"]

HANG_STOP_AFTER = 6  # at least this many rivals hung ...
HANG_STOP_SHARE = 0.5  # ... and they are at least this share of the rivals gated


@dataclass
class RivalSearch:
    """The rival window's record: `window` rivals planned after the first fix; what was gated, what hung."""

    window: int
    test_limit: float | None = None  # the rivals' per-test limit (rival_test_limit)
    gated: int = 0
    hung: int = 0
    hang_seconds: float = 0.0
    seconds: float = 0.0
    stopped_because: str = ""  # empty: the window ran to its end (or out of time: the run's budget says so)

    def record(self, verdicts: Iterable[Any]) -> None:
        """Count a batch of rivals' verdicts (GateVerdict: `hung`, the tests that ran past their limit)."""
        for verdict in verdicts:
            self.gated += 1
            self.seconds += verdict.seconds
            if verdict.hung:
                self.hung += 1
                self.hang_seconds += verdict.seconds

    def hangs_dominate(self) -> bool:
        """True (and the reason recorded) when the hangs rule says to stop the window here."""
        if self.hung < HANG_STOP_AFTER or self.hung < HANG_STOP_SHARE * self.gated:
            return False
        left = max(0, self.window - self.gated)
        self.stopped_because = (
            f"hangs: {self.hung} of the {self.gated} rivals gated ran past a per-test limit "
            f"({self.hang_seconds:.1f} of {self.seconds:.1f} gate-seconds); up to {left} more were left unsearched, "
            "since a candidate that hangs can never be a rival")
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window, "test_limit": self.test_limit, "gated": self.gated, "hung": self.hung,
                "unsearched": max(0, self.window - self.gated) if self.stopped_because else 0,
                "stopped_because": self.stopped_because}


def rival_test_limit(durations: Iterable[float], candidates_limit: float | None) -> float | None:
    """The rivals' per-test limit, from the `durations` of the tests that passed at the baseline."""
    limit = max(HANG_LIMIT_FLOOR, HANG_LIMIT_MULTIPLE * max(durations, default=0.0))
    return round(min(limit, candidates_limit), 3) if candidates_limit else round(limit, 3)
