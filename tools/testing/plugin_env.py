"""What suture's pytest plugins and their runner agree on, in a module that does not import pytest.

The plugins (pytest_results_plugin, coverage_plugin) live in the tested project's pytest and
import pytest; the runner (testrun, localize, spectra, `suture check`) lives in suture's own
process, which needs only these names. Importing them from the plugins cost every `suture`
command pytest's import (a tenth of a second of CPU, a sizeable share of a short command's
start-up) for nothing.

Standard library only, imported relatively by the plugins: it is copied beside them for a
foreign interpreter (tools/testing/pytest_shim.py).
"""

from __future__ import annotations

import json
import signal

# pytest_results_plugin's settings (its module docstring says what each does).
RESULTS_ENV = "SUTURE_RESULTS_FILE"
TIMEOUT_ENV = "SUTURE_PER_TEST_TIMEOUT"
LIMITS_ENV = "SUTURE_TEST_LIMITS"  # {nodeid: seconds} as JSON: those tests' own limits
AFTER_HANG_ENV = "SUTURE_AFTER_HANG"  # "multiple,floor": shorter limits after a first hang
STOP_AT_HANG_ENV = "SUTURE_STOP_AT_HANG"  # "1": the run ends after the first test that ran past its limit
SKIP_ENV = "SUTURE_SKIP_FILE"  # node ids (one a line) to deselect: the runner resumes a stopped run with it
SENTINEL_ENV = "SUTURE_SENTINEL_FILE"  # a test file that must fail, collected after the rest (agent/gates/tamper.py)
STUCK_ENV = "SUTURE_STUCK_FILE"  # where faulthandler dumps the stacks of a test stuck in native code
STUCK_SIGNAL = getattr(signal, "SIGUSR2", None)  # the runner's request for that dump
RERUNS_ENV = "SUTURE_RERUNS"  # in-session reruns of a failed test
RERUN_ATTR = "suture_rerun"  # on an item while it re-runs: the attempt number (1, 2, ...)

# angelic_plugin's settings (agent/propose/synthesis.py's probes; its module docstring says what each does).
PLAN_ENV = "SUTURE_PROBE_PLAN"
OUT_ENV = "SUTURE_PROBE_OUT"
PROBE_NAME = "__suture_probe__"

# coverage_plugin's settings (its module docstring says what each does).
ENV_FILE = "SUTURE_COVERAGE_FILE"
ENV_ROOT = "SUTURE_COVERAGE_ROOT"
ENV_ARCS = "SUTURE_COVERAGE_ARCS"
ENV_ITEMS = "SUTURE_COVERAGE_ITEMS"
RERUN_CONTEXT = "suture-rerun|"  # prefix of a rerun's coverage context
SHARD_ENV = "SUTURE_SHARD"  # this process's shard of a run split by test file (tools/testing/shards.py)
SHARD_CLAIMS_ENV = "SUTURE_SHARD_CLAIMS"  # the directory where the shards claim test files


def read_limits(text: str | None) -> dict[str, float]:
    """The per-test limits of SUTURE_TEST_LIMITS; anything unreadable or not positive is left out."""
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        return {}
    limits = {}
    for nodeid, seconds in (raw.items() if isinstance(raw, dict) else ()):
        try:
            if float(seconds) > 0:
                limits[str(nodeid)] = float(seconds)
        except (TypeError, ValueError):
            continue
    return limits
