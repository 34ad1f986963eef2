"""Localisation's coverage run split over the machine's cores: shards by test file, merged into one run.

Plain pytest uses one core. Per-test coverage (coverage.py's tracer) makes the same suite 1.5-3x slower,
which was most of `suture localize`'s overhead (bench/RESULTS.md, issue 19). So where there are two
cores and two test files, two pytest processes share the suite: each collects all of it and runs the
test files it claims (coverage_plugin's shards: a file goes whole, in its own order, to whichever
process is free), each writes its coverage data beside the run's own file (`coverage.db.s0`, ...:
Spectra.from_coverage reads them as it reads xdist workers' files), and their outcomes are merged back
in collection order, so the spectra, the failing tests and their order are what one process gives.

What changes against one process: tests of different files may run in different processes (a test that
needs state another file's tests left behind can fail; a test file depending on another's is not a
thing pytest promises either, and xdist's loadfile does the same), and session-scoped fixtures are set
up once per shard. Not split: a command with its own parallelism or stopping rule (xdist's -n/--dist,
-x/--maxfail, --stepwise), one test file; unless SUTURE_LOCALIZE_SHARDS asks, a small suite (under
SMALL_SUITE_BYTES of test code) or one usable core; SUTURE_LOCALIZE_SHARDS=1 never splits. Not gated on
the machine's load: on a loaded machine (load 10) the split still made a test-bound suite faster
(boltons, bench/RESULTS.md), two processes getting two shares of the CPU.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from suture.retrieval.testfiles import is_test_module
from suture.tools.testing.plugin_env import ENV_FILE, ENV_ITEMS, SHARD_CLAIMS_ENV, SHARD_ENV
from suture.tools.testing.testrun import TestRun, run_tests

SHARDS_ENV = "SUTURE_LOCALIZE_SHARDS"  # how many processes (1: never split); unset: 2 on 2+ cores
# Below this much test code (test_*.py, *_test.py) a suite is left whole: its run is mostly pytest's start and
# collection, which a second process repeats rather than shares. Measured on bench/faults (bench/RESULTS.md,
# issue 19, h/loc32): split, boltons (200 KB of tests) got faster, parse (40 KB) and toolz (92 KB) did not
# (each shard took about as long as the whole run: start-up bound); more-itertools has 313 KB.
SMALL_SUITE_BYTES = 150_000
# Options under which the run's files cannot be shared out: their own processes, or a stop that
# depends on what ran before in the same process.
_WHOLE_RUN = ("-n", "--numprocesses", "--dist", "-d", "--tx", "-x", "--exitfirst", "--maxfail", "--sw",
              "--stepwise", "--sw-skip", "--stepwise-skip", "--lf", "--last-failed", "--ff", "--failed-first")
_SKIP_DIRS = {".git", ".hg", ".tox", ".nox", ".venv", "venv", "env", "node_modules", "__pycache__", "build", "dist",
              "site-packages"}


def shard_count(tree: Path, command: Any) -> int:
    """How many processes the coverage run of `command` in `tree` is split over (1: not split)."""
    asked = _asked()
    wanted = asked if asked is not None else min(2, _cores())
    if wanted < 2 or not _splittable(command):
        return 1
    files, size = _test_files(Path(tree))
    if files < 2 or (asked is None and size < SMALL_SUITE_BYTES):
        return 1
    return wanted


def _asked() -> int | None:
    text = os.environ.get(SHARDS_ENV, "").strip()
    try:
        return max(1, int(text)) if text else None
    except ValueError:
        return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _splittable(command: Any) -> bool:
    argv = command.split() if isinstance(command, str) else list(command)
    for token in argv:
        name = token.split("=", 1)[0]
        glued_workers = name.startswith("-n") and (name[2:].isdigit() or name[2:] in ("auto", "logical"))  # -n2
        if name in _WHOLE_RUN or glued_workers or (name.startswith("-p") and "xdist" in token):
            return False
    return not any(a == "-p" and b.startswith("xdist") for a, b in zip(argv, argv[1:]))


def _test_files(tree: Path) -> tuple[int, int]:
    """(how many test modules, their bytes): test_*.py and *_test.py, counted until both are enough."""
    found = size = 0
    for root, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if is_test_module(name):
                found += 1
                try:
                    size += os.path.getsize(os.path.join(root, name))
                except OSError:
                    pass
        if found >= 2 and size >= SMALL_SUITE_BYTES:
            break
    return found, size


def run_sharded(tree: Path, count: int, coverage_file: Path, extra_env: dict[str, str],
                first_done: Callable[[], Any] | None = None, **run: Any) -> TestRun:
    """The coverage run (run_tests with `run`'s arguments) as `count` shards at once, merged; `first_done`
    is called once the first shard has ended (a core is free from then on)."""
    # here, not at the top: most runs are not split, and these cost every `suture localize` their import
    import logging
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    claims = coverage_file.parent / "shard-claims"
    shutil.rmtree(claims, ignore_errors=True)
    claims.mkdir(parents=True)
    items = [coverage_file.parent / f"items.s{k}" for k in range(count)]

    def shard(k: int) -> TestRun:
        env = {**extra_env, ENV_FILE: f"{coverage_file}.s{k}", ENV_ITEMS: str(items[k]), SHARD_ENV: str(k),
               SHARD_CLAIMS_ENV: str(claims)}
        return run_tests(tree, extra_env=env, **run)

    with ThreadPoolExecutor(count, thread_name_prefix="suture-shard") as pool:
        futures = [pool.submit(shard, k) for k in range(count)]
        if first_done is not None:
            wait(futures, return_when=FIRST_COMPLETED)
            first_done()
        runs = [future.result() for future in futures]
    for k, run in enumerate(runs):  # how even the split was (bench/check_localize_shards.py shows it)
        logging.getLogger("suture.shards").debug("shard %d: %d tests, %.2f s", k, len(run.outcomes), run.seconds)
    order = next((_read_lines(path) for path in items if path.is_file()), [])
    shutil.rmtree(claims, ignore_errors=True)
    for path in items:
        path.unlink(missing_ok=True)
    return merge(runs, order)


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def merge(runs: Sequence[TestRun], order: Sequence[str]) -> TestRun:
    """One TestRun of the shards' runs: outcomes in collection order (`order`, the node ids as collected;
    any it lacks after, in shard order), the collection errors once each (every shard collects them), the
    worst status, and `seconds` what one process would have taken: the longest shard's seconds plus the
    other shards' tests' own durations (not their seconds: their start-up is the longest's too, and on a
    loaded machine two overlapping runs' seconds would count the wait twice), so budgets that scale with
    the coverage run (the mutation step's share) stay what they were with one process."""
    everything = {n: o for run in runs for n, o in run.outcomes.items()}
    rank = {n: i for i, n in enumerate(order)}
    outcomes = {n: everything[n] for n in sorted(everything, key=lambda n: rank.get(n, len(rank)))}
    errors = list(dict.fromkeys(e for run in runs for e in run.collection_errors))
    status = max((run.status for run in runs), key=_STATUS_ORDER.index)
    codes = [run.returncode for run in runs]
    returncode = next((c for c in codes if c not in (0, 5)), 0 if 0 in codes else codes[0])
    tail = "\n".join(run.output_tail for run in runs if run.output_tail.strip())
    longest = max(runs, key=lambda run: run.seconds)
    seconds = longest.seconds + sum(o.duration for run in runs if run is not longest for o in run.outcomes.values())
    return TestRun(status, outcomes, errors, returncode, seconds, tail, runs[0].command)


# A shard that ran nothing ("no_tests") says nothing about the others; a cut or broken shard cuts the run.
_STATUS_ORDER = ["no_tests", "ok", "runner_missing", "collection_error", "crashed", "timeout"]
