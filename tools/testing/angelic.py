"""Probe runs for angelic values and synthesis: instrument expressions in a scratch tree, run the tests.

`instrument` rewrites chosen expression spans of a file's text into calls of the probe that
tools/testing/angelic_plugin.py installs; `probe_run` writes instrumented files into a scratch
tree (the caller's, reset by its owner afterwards: never the user's tree), runs the named tests
with the plugin and a plan, and returns the plugin's records. What a site is and which values
to try is the caller's business (agent/propose/synthesis.py).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suture.retrieval.files import encode_source
from suture.tools.testing import sandbox
from suture.tools.testing.plugin_env import LIMITS_ENV, OUT_ENV, PLAN_ENV, PROBE_NAME
from suture.tools.testing.testrun import TestRunError, is_pytest_command, run_tests

PLUGIN = "suture.tools.testing.angelic_plugin"


@dataclass(frozen=True)
class Site:
    """One instrumented expression: its id, file and the [start, end) character span of its text."""

    id: int
    path: str
    start: int
    end: int


def instrument(text: str, sites: Sequence[Site]) -> str:
    """`text` with each site's expression wrapped in a probe call (spans must not overlap)."""
    out = text
    for site in sorted(sites, key=lambda s: s.start, reverse=True):
        expression = text[site.start : site.end]
        out = out[: site.start] + f"{PROBE_NAME}({site.id}, lambda: ({expression}), locals())" + out[site.end :]
    return out


def can_probe(test_cmd: str | Sequence[str] | None) -> bool:
    """Probes need pytest (the plugin): a custom test command cannot carry them."""
    return test_cmd is None or is_pytest_command(test_cmd)


def probe_run(tree: Path, files: dict[str, str], nodeids: Sequence[str], plan: dict[str, Any], *,
              test_cmd: str | Sequence[str] | None, timeout: float, per_test_timeout: float,
              extra_env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Write `files` (tree-relative path -> instrumented text) into `tree`, run `nodeids` with the probe
    plugin under `plan`, and return its records ([] when the run could not start)."""
    for path, text in files.items():
        (tree / path).write_bytes(encode_source(text, path))  # in the file's declared encoding
    with tempfile.TemporaryDirectory(prefix="suture-probe-", dir=sandbox.private_scratch_root()) as scratch:
        plan_file, out_file = Path(scratch) / "plan.json", Path(scratch) / "out.jsonl"
        plan_file.write_text(json.dumps(plan), encoding="utf-8")
        out_file.touch()
        env = {**(extra_env or {}), PLAN_ENV: str(plan_file), OUT_ENV: str(out_file)}
        if plan.get("mode") == "try":
            # The tries of one test run inside its call phase, each under its own short alarm: the
            # test's own limit (a hanging test's short one) and the runner's stuck watch must not
            # count them as one long phase.
            env[LIMITS_ENV] = "{}"
            per_test_timeout = max(per_test_timeout, timeout)
        try:
            run_tests(tree, test_cmd=test_cmd, nodeids=list(nodeids), timeout=timeout,
                      per_test_timeout=per_test_timeout, pytest_plugins=[PLUGIN], extra_env=env, warm=True)
        except TestRunError:
            return []
        records = []
        for line in out_file.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a killed run
        return records
