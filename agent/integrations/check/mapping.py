"""Keeping the coverage map up to date with HEAD's tests within the time cap.

A test module that changed since is re-run alone with coverage and its entries replaced; a
change to the test set-up rebuilds the map with one run of the whole suite; a run the cap
cuts off keeps every test it finished, and the next check goes on with the rest.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path
from typing import Any

from suture.agent.integrations.check.clock import MAP_STOP_RESERVE, Clock, OutOfTime
from suture.agent.integrations.check.coverage_map import CoverageMap, build_map, test_side
from suture.agent.integrations.check.findings import count, some
from suture.agent.integrations.check.suite import module_of, test_env
from suture.tools.git.staged import StagedSnapshot, tree_blobs
from suture.tools.testing.plugin_env import ENV_FILE, ENV_ITEMS, ENV_ROOT, SKIP_ENV
from suture.tools.testing.testrun import TestRun, run_tests

__all__ = ["MAP_FILE", "update_coverage_map"]

MAP_FILE = Path(".suture") / "check" / "coverage-map.json"
COVERAGE_PLUGIN = "suture.tools.testing.coverage_plugin"


def update_coverage_map(top: Path, head: str, snapshot: StagedSnapshot, command: Any, clock: Clock,
                        tests_report: dict[str, Any]) -> CoverageMap:
    """The cached map, brought up to date with HEAD's tests: reused as it is when no test module
    changed, updated by running only the tests not mapped yet (of changed, new or half-mapped test
    modules), rebuilt (the whole suite) when the test set-up changed or there is no map yet.

    The map is saved per test: a run the cap cuts off keeps every test it finished, and the next
    check goes on with the rest (the half-mapped module's remaining tests first), so a suite slower
    than the cap gets mapped over a few checks instead of never."""
    from suture.agent.runs import check_suture_dir, exclude_suture

    argv = shlex.split(command) if isinstance(command, str) else list(command)
    setup_key, modules = test_side(tree_blobs(top, head), argv)
    check_suture_dir(top, "check")  # never a cache read from, or written through, a planted .suture
    cache = top / MAP_FILE
    cached = CoverageMap.load(cache)
    if cached is not None and cached.setup_key == setup_key:
        base, whole, state = cached, False, "updated"
        changed = {path for path, blob in {**base.partial, **base.modules}.items() if modules.get(path) != blob}
        base.drop(changed)
    else:
        base, whole, changed = CoverageMap({}, {}, {}, setup_key, {}), True, set()
        state = "refreshed" if cached is None else "rebuilt"
    todo = [path for path in sorted(modules) if path not in base.modules]
    # Tests the cap killed before are tried again once nothing else is left, given more time than they had.
    retry = [] if todo else sorted(n for n, (_, had) in base.cut.items() if clock.left() > 2 * had + MAP_STOP_RESERVE)
    if todo or retry:
        slow = {n for n, (times, _) in base.cut.items() if times >= 2}
        skip = set() if whole or not todo else {n for n in base.outcomes if module_of(n) in todo} | slow
        files = [] if whole else todo or retry
        doing = ("building the coverage map of the tests at HEAD" if whole else
                 f"mapping the tests not mapped yet ({', '.join((todo or retry)[:3])}{', ...' if len(todo or retry) > 3 else ''})")
        built, killed, items, run = coverage_run(snapshot, command, clock, files, skip, doing)
        timed_out = run.status == "timeout"
        base.merge(built)
        for nodeid in killed:
            base.cut[nodeid] = [base.cut.get(nodeid, [0, 0.0])[0] + 1, round(run.seconds, 3)]
        # A module is finished when every test the run was to run of it finished (its other tests
        # were mapped or skipped as slow before); unfinished ones that got somewhere are half-mapped.
        if items is not None:
            left_over = {module_of(n) for n in items if n not in built.outcomes}
            for path in todo:
                if path not in left_over:
                    base.modules[path] = modules[path]
                    base.partial.pop(path, None)
                elif any(module_of(n) == path for n in built.outcomes):
                    base.partial[path] = modules[path]
        base.seconds = run.seconds
        tests_report["map_seconds"] = round(run.seconds, 3)
    elif not changed:
        tests_report["coverage_map"] = "reused"
        report_gaps(base, modules, tests_report)
        return base
    else:
        timed_out = False
    exclude_suture(top)
    try:
        base.save(cache)
    except OSError:
        pass  # a read-only checkout: the check still works, it just cannot reuse the map
    tests_report["coverage_map"] = state
    report_gaps(base, modules, tests_report)
    if timed_out:
        unmapped = tests_report["unmapped_modules"]
        if unmapped:
            raise OutOfTime(
                f"the coverage map of the tests at HEAD was complete ({count(len(unmapped), 'test module')} of "
                f"{len(modules)} not mapped yet: {some(unmapped)}; each check maps more of them, "
                "`suture check --time-cap 600` maps them at once)")
        raise OutOfTime(f"re-running the tests the cap had cut off ({some(retry)})" if retry else "running the covering tests")
    return base


def report_gaps(coverage_map: CoverageMap, modules: dict[str, str], tests_report: dict[str, Any]) -> None:
    tests_report["unmapped_modules"] = [path for path in sorted(modules) if path not in coverage_map.modules]
    tests_report["cut_tests"] = sorted(coverage_map.cut)



def coverage_run(snapshot: StagedSnapshot, command: Any, clock: Clock, files: list[str], skip: set[str],
                  what: str) -> tuple[CoverageMap, list[str], list[str] | None, TestRun]:
    """One pytest run at HEAD with per-test coverage, of `files` (test modules or node ids) or the
    whole suite, leaving out the tests in `skip`: the map of the tests it finished, the tests the
    cap killed while they ran, the tests it was to run (None: it was stopped before it knew), the run."""
    budget = clock.budget(what, MAP_STOP_RESERVE)
    work = Path(tempfile.mkdtemp(prefix="coverage-", dir=snapshot.parent))
    coverage_file = work / "coverage.db"
    items_file = work / "items.txt"
    env = {ENV_FILE: str(coverage_file), ENV_ROOT: str(snapshot.root), ENV_ITEMS: str(items_file)}
    if skip:
        (work / "skip.txt").write_text("\n".join(sorted(skip)) + "\n", encoding="utf-8")
        env[SKIP_ENV] = str(work / "skip.txt")
    run = run_tests(snapshot.root, test_cmd=command, nodeids=files, timeout=budget,
                    pytest_plugins=[COVERAGE_PLUGIN], extra_env=env, env=test_env())
    killed = [n for n, o in run.outcomes.items() if o.outcome == "timeout"] if run.status == "timeout" else []
    built = build_map(snapshot.root, run, coverage_file, "", {})
    built.forget(set(killed))
    listed = sorted(work.glob(items_file.name + "*"))  # one file, or one per xdist worker
    items = None if not listed else [n for f in listed if not f.name.endswith(".tmp")
                                     for n in f.read_text(encoding="utf-8").splitlines()]
    if items is None and run.status != "timeout":
        items = list(built.outcomes)  # a run that ended without collecting (nothing left to run)
    return built, killed, items, run
