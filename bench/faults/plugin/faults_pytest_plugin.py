"""pytest plugin of the fault-corpus builder (loaded with `-p faults_pytest_plugin`).

- Under `coverage run`, switches coverage's dynamic context to each test's node id, so the
  data file says which tests execute which lines (coverage's own `test_function` context
  names functions, not node ids, and merges parametrized cases).
- With FAULTS_RESULTS set, appends one JSON line {"nodeid", "outcome"} per test to that file.
"""

import json
import os

import pytest

try:
    import coverage
except ImportError:  # the plain runs do not need it
    coverage = None


def _coverage():
    return coverage.Coverage.current() if coverage is not None else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cov = _coverage()
    if cov is not None:
        cov.switch_context(item.nodeid)
    yield
    if cov is not None:
        cov.switch_context("")


_outcomes = {}


def pytest_runtest_logreport(report):
    # A test fails if any of its phases fails; setup/teardown errors count as failures.
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and report.when != "teardown":
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session):
    path = os.environ.get("FAULTS_RESULTS")
    if path:
        with open(path, "w") as f:
            for nodeid, outcome in _outcomes.items():
                f.write(json.dumps({"nodeid": nodeid, "outcome": outcome}) + "\n")
