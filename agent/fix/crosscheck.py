"""Run generated tests against every candidate that passed the gates: the B4 pass matrix.

The planner writes extra tests from the issue and the code when several distinct
patches pass every gate (agent/fix/select.py explains why and how they are weighed). Each
candidate's patch is applied in a pooled scratch tree, the generated test file is
written beside it, and only that file runs. The generated tests are never shipped and
never count as gates: a candidate that fails them is not rejected, only ranked lower.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from suture.tools.git.diffs import PatchError, apply_patch
from suture.tools.testing.testrun import TestRunError, run_tests
from suture.tools.git.workspace import WorktreePool

GENERATED_TEST_FILE = "test_suture_generated.py"


@dataclass
class PassMatrix:
    tests: list[str]  # generated test node ids, in file order
    passes: dict[str, list[bool]]  # candidate id -> passed each test
    problems: list[str]  # why a candidate or the test file could not be run


def check_test_source(source: str) -> str | None:
    """Why `source` is not a usable pytest file, or None when it is."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"the generated tests do not parse: {error.msg} (line {error.lineno})."
    names = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.name.startswith("test")]
    if not names:
        return "the generated file has no test functions (names starting with test)."
    return None


def pass_matrix(
    pool: WorktreePool,
    patches: dict[str, str],
    test_source: str,
    *,
    test_cmd: str | Sequence[str] | None = None,
    timeout: float = 120,
    per_test_timeout: float = 10,
) -> PassMatrix:
    """Each candidate's results on the generated tests (a test not reached counts as failed)."""
    problem = check_test_source(test_source)
    if problem:
        return PassMatrix([], {cid: [] for cid in patches}, [problem])
    results: dict[str, dict[str, bool]] = {}
    problems: list[str] = []
    order: list[str] = []
    for cid, patch in patches.items():
        with pool.tree() as tree:  # released reset to the base commit, generated file gone
            try:
                apply_patch(tree, patch)
            except PatchError as error:
                problems.append(f"{cid}: {error}")
                results[cid] = {}
                continue
            (tree / GENERATED_TEST_FILE).write_text(test_source, encoding="utf-8")
            try:
                run = run_tests(tree, test_cmd=test_cmd, nodeids=[GENERATED_TEST_FILE], timeout=timeout,
                                per_test_timeout=per_test_timeout, extra_env=pool.env, warm=True)
            except TestRunError as error:
                problems.append(f"{cid}: {error}")
                results[cid] = {}
                continue
            outcomes = {n: o.outcome == "passed" for n, o in run.outcomes.items()
                        if n.startswith(GENERATED_TEST_FILE)}
            if run.collection_errors:
                problems.append(f"{cid}: {run.collection_errors[0]}")
            for nodeid in outcomes:
                if nodeid not in order:
                    order.append(nodeid)
            results[cid] = outcomes
    passes = {cid: [results[cid].get(n, False) for n in order] for cid in patches}
    return PassMatrix(order, passes, problems)
