"""Tests that error at set-up: grouped by cause, each group said in one sentence.

A suite that needs services (a database whose URL is unset, a server that is not up, a
fixture from a plugin that is not installed) errors before the test bodies run. Those
tests say nothing about a bug in the code: `fix` does not take them as targets unless the
user names them with --failing-test, and the baseline says which tests error and why, in
a sentence or two instead of a wall of tracebacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SetupErrorGroup", "group_setup_errors", "setup_error_ids", "summary"]

SHOWN_PER_GROUP = 3
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_KEY = re.compile(r"^KeyError: '([A-Za-z_][A-Za-z0-9_]*)'")
_CONNECTION = re.compile(
    r"ConnectionRefused|Connection refused|could not connect|OperationalError|ConnectTimeout|ConnectionError|"
    r"Name or service not known|nodename nor servname|getaddrinfo failed|No route to host",
    re.IGNORECASE,
)
_FIXTURE = re.compile(r"fixture '([^']+)' not found")


@dataclass
class SetupErrorGroup:
    cause: str  # the exception line the tests share, e.g. "KeyError: 'DATABASE_URL'"
    why: str  # what that most likely means, for a person
    tests: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "why": self.why, "tests": list(self.tests)}


def setup_error_ids(run: Any) -> list[str]:
    """Node ids of `run` (a testrun.TestRun) whose set-up failed, so their body never ran."""
    return [n for n, o in run.outcomes.items() if o.outcome == "error" and getattr(o, "phase", "") == "setup"]


def _cause(outcome: Any) -> str:
    message = (outcome.message or "").strip()
    fixture = _FIXTURE.search(message) or _FIXTURE.search(outcome.details or "")
    if fixture:
        return f"fixture '{fixture[1]}' not found"
    first = next((line.strip() for line in message.splitlines() if line.strip()), "an error in a fixture")
    return _ADDRESS.sub("0x…", first)[:200]


def _why(cause: str, outcome: Any) -> str:
    text = f"{outcome.message}\n{outcome.details}"
    key = _KEY.match(cause)
    if key and ("environ" in text or "getenv" in text or key[1].isupper()):
        return f"the environment variable {key[1]} is not set"
    if _CONNECTION.search(text):
        return "a service they connect to is not reachable"
    if cause.startswith("fixture '"):
        return "a fixture they ask for is not defined (a pytest plugin that is not installed?)"
    return "a fixture or set-up step raised"


def group_setup_errors(run: Any) -> list[SetupErrorGroup]:
    """The set-up errors of `run`, grouped by their exception line, largest group first."""
    groups: dict[str, SetupErrorGroup] = {}
    for nodeid in setup_error_ids(run):
        outcome = run.outcomes[nodeid]
        cause = _cause(outcome)
        if cause not in groups:
            groups[cause] = SetupErrorGroup(cause, _why(cause, outcome), [])
        groups[cause].tests.append(nodeid)
    return sorted(groups.values(), key=lambda g: -len(g.tests))


def summary(groups: list[SetupErrorGroup]) -> str:
    """One or two sentences: how many tests error at set-up, which, and why."""
    if not groups:
        return ""
    total = sum(len(g.tests) for g in groups)
    parts = []
    for group in groups:
        shown = ", ".join(group.tests[:SHOWN_PER_GROUP])
        more = f" and {len(group.tests) - SHOWN_PER_GROUP} more" if len(group.tests) > SHOWN_PER_GROUP else ""
        parts.append(f"{len(group.tests)} because {group.why} ({group.cause}): {shown}{more}")
    return (f"{total} test{'s' if total != 1 else ''} error at set-up, before the test body runs, and "
            f"{'are' if total != 1 else 'is'} not taken as bugs to repair: {'; '.join(parts)}. "
            "Name one with --failing-test to repair it anyway.")
