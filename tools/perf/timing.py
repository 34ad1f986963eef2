"""Is the candidate faster than the baseline? Interleaved, randomised, fresh-process timing.

Each side is a command (`Runner`) run in a fresh process per measurement. Rounds are
interleaved (baseline and candidate once each per round, in a seeded random order) so that
a slow phase of a noisy machine hits both sides alike. Each round gives one ratio
baseline / candidate; the speed-up is the median ratio and counts only when the lower
end of its 95% percentile-bootstrap interval reaches the threshold (1.05, or 1.15 when a
call takes under 10 µs, where timer and cache effects are larger).

Sequential rounds (`extend_to`): when the interval after `rounds` straddles the threshold (its lower end
under it, its upper end above, the median past half-way to it) and the budget leaves room, the same
interleaved rounds continue up to `extend_to` and the interval is drawn from all of them. One more look
only, never a lower bar: a gain near the bar gets the measurement power to show, and bench/bench_timing.py's
A/A control (>= 19/20 rejected) and half-work control (5/5 found) are run with it.

Timing protocol: when a process's last stdout line is the JSON object
{"suture_timing": [seconds, ...]} (seconds of each call, timed inside the process), the
median of those calls is that process's measurement, so interpreter start-up is left out.
The number of calls is passed as the environment variable SUTURE_HARNESS_CALLS; it is
calibrated once before the rounds so that one process's timed work is at least
CALIBRATION_SECONDS. A process without the line is measured by its wall time.

Every run of a side must print the same stdout (the timing line aside), or the command is
not a benchmark and TimingError says so; output differing between the two sides is
reported (`outputs_differ`), not raised: the caller treats it as a behaviour change.

Each process runs project code (the candidate's too), so it is confined the way the tests are
(run_process); the leader times the command itself, so the confinement's start-up is not
measured (bench/bench_timing_sandbox.py measures what is left).

A side that is a run of the harness (`Runner.harness`) is timed in children forked from a warm harness
of its own (tools/perf/warm.py), one per side and comparison, when both sides are: the interpreter's
start-up and the harness's imports are paid once per side, not once per measurement, and each child
still imports the tree's code, builds its inputs and calls the target afresh. Both sides or neither:
a comparison never times one side forked and the other fresh.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from suture.tools.childenv import project_env
from suture.tools.testing import sandbox

CALLS_ENV = "SUTURE_HARNESS_CALLS"
CALIBRATION_SECONDS = 0.05  # timed work per process the calls are calibrated to
# ... without letting the slower side's process take longer than this. It binds only when one side is over
# ~4x faster (a function target is sized to a 50 ms call: 4 calls of it); 0.5 s spent most of a run's timing
# CPU on the slow sides of such clear wins (bench/RESULTS.md, issue 15, h/suiteopt34).
MAX_PROCESS_SECONDS = 0.25
MAX_CALLS = 100_000
THRESHOLD = 1.05
SHORT_CALL_THRESHOLD = 1.15
SHORT_CALL_SECONDS = 10e-6


class TimingError(Exception):
    """A side cannot be timed (fails, hangs, prints non-deterministic output); one sentence."""


@dataclass(frozen=True)
class Runner:
    """One side of a comparison: a command run in a fresh process each time.

    `env` is laid over the environment minus the secrets (tools/childenv.py). PYTHONHASHSEED
    defaults to 0 so that set and dict order, and so output, is the same in every process.
    """

    argv: list[str]
    cwd: Path
    env: dict[str, str] | None = None
    writable: tuple[Path, ...] = ()  # besides cwd and its own temp dir (a cache both sides share)
    harness: tuple[str, ...] = ()  # argv's leading harness command (tools/perf/harness.py): may be served warm


@dataclass(frozen=True)
class Comparison:
    speedup: float  # median over rounds of (baseline seconds / candidate seconds)
    ci_low: float  # 95% bootstrap CI of that median ratio
    ci_high: float
    threshold: float  # 1.05, or 1.15 when a call takes under 10 µs
    significant: bool  # ci_low >= threshold
    rounds: int
    baseline_seconds: float  # median per call (timing protocol) or per run (wall time)
    candidate_seconds: float
    outputs_differ: bool  # stdout (minus the timing line) differed between the sides
    note: str = ""
    ratios: tuple[float | None, ...] = ()  # per round (None: a zero time), baseline / candidate (what the CI is drawn from; the report's plot)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Run:
    seconds: float  # the measurement: median inner call, or wall time
    inner: bool  # measured by the timing protocol
    output: str  # stdout without the timing line


def compare(
    baseline: Runner,
    candidate: Runner,
    *,
    rounds: int = 12,
    seed: int = 0,
    time_limit: float = 60.0,
    budget: float | None = None,
    extend_to: int | None = None,
    warm: bool = True,
    pool=None,
) -> Comparison:
    """Time both sides in `rounds` interleaved rounds; each run is stopped after `time_limit` s.

    `budget` bounds the whole comparison (a caller's time limit; otherwise (2 + 2 * rounds) runs of
    `time_limit` each, which ran `suture optimize` minutes past its --time-limit). `extend_to` (> rounds):
    the rounds a straddling interval may grow to, when under half of what is left of `budget` suffices.
    `warm` False: a fresh process per measurement even for harness runs (the A/A controls compare both).
    `pool` (tools/perf/warm.Pool): the caller's warm harnesses, kept for its later comparisons; otherwise
    this comparison's own, ended with it.
    """
    if rounds < 2:
        raise TimingError(f"A comparison needs at least 2 rounds, not {rounds}.")
    sides = {"baseline": baseline, "candidate": candidate}
    ends = None if budget is None else time.monotonic() + budget
    servers = _servers(sides, time_limit if ends is None else min(time_limit, budget), pool) if warm else {}
    try:
        return _compare(sides, servers, rounds, seed, time_limit, ends, budget, extend_to)
    finally:
        if pool is None:
            for server in servers.values():
                server.close()


def _compare(sides: dict[str, Runner], servers: dict, rounds: int, seed: int, time_limit: float, ends: float | None,
             budget: float | None, extend_to: int | None) -> Comparison:
    def run_side(name: str, runner: Runner, calls: int, time_limit: float) -> _Run:
        server = servers.get(name)
        return _run_one(name, runner, calls, time_limit, server=server) if ends is None else \
            _run_within(name, runner, calls, time_limit, ends, budget, server)

    # One run per side with a single call: a warm-up (disk cache, .pyc files), an early
    # failure check, and the per-call time the calls are calibrated from.
    first = {name: run_side(name, runner, 1, time_limit) for name, runner in sides.items()}
    inner = {run.inner for run in first.values()}
    if len(inner) > 1:
        with_line = "baseline" if first["baseline"].inner else "candidate"
        without = "candidate" if with_line == "baseline" else "baseline"
        raise TimingError(f"The {with_line} prints a suture_timing line but the {without} does not.")
    uses_protocol = inner == {True}
    per_call = [run.seconds for run in first.values()]
    calls = _calibrated_calls(min(per_call), max(per_call)) if uses_protocol else 1

    rng = random.Random(seed)
    measured: dict[str, list[float]] = {"baseline": [], "candidate": []}
    reference: dict[str, str] = {}
    began = time.monotonic()
    _rounds(rounds, rng, sides, calls, time_limit, uses_protocol, run_side, measured, reference)
    short = uses_protocol and min(map(statistics.median, measured.values())) < SHORT_CALL_SECONDS
    threshold = SHORT_CALL_THRESHOLD if short else THRESHOLD
    more = (extend_to or rounds) - rounds
    if more > 0 and _straddles(_ratios(measured), threshold, seed):
        per_round = (time.monotonic() - began) / rounds
        if ends is None or time.monotonic() + 2 * more * per_round < ends:  # room for it, with a margin
            _rounds(more, rng, sides, calls, time_limit, uses_protocol, run_side, measured, reference)
    rounds = len(measured["baseline"])

    ratios = _ratios(measured)
    low, high = bootstrap_ci(ratios, seed=seed)
    baseline_seconds = statistics.median(measured["baseline"])
    candidate_seconds = statistics.median(measured["candidate"])
    if uses_protocol:
        note = f"median of {calls} timed call(s) per process" + (", each forked from a warm harness" if servers else "")
    else:
        note = "wall time of whole processes (no suture_timing line): interpreter start-up included"
    return Comparison(
        speedup=statistics.median(ratios),
        ci_low=low,
        ci_high=high,
        threshold=threshold,
        significant=low >= threshold,
        rounds=rounds,
        baseline_seconds=baseline_seconds,
        candidate_seconds=candidate_seconds,
        outputs_differ=reference["baseline"] != reference["candidate"],
        note=note,
        ratios=tuple(round(r, 4) if math.isfinite(r) else None for r in ratios),
    )


def _rounds(count: int, rng: random.Random, sides: dict, calls: int, time_limit: float, uses_protocol: bool,
            run_side, measured: dict[str, list[float]], reference: dict[str, str]) -> None:
    """`count` interleaved rounds (both sides once each, in a seeded random order), appended to `measured`."""
    for _ in range(count):
        order = ["baseline", "candidate"]
        rng.shuffle(order)
        for name in order:
            run = run_side(name, sides[name], calls, time_limit)
            if run.inner != uses_protocol:
                raise TimingError(f"The {name} printed the suture_timing line in some runs and not in others.")
            if name not in reference:
                reference[name] = run.output
            elif run.output != reference[name]:
                raise TimingError(
                    f"The {name} prints different output on two runs of the same code, "
                    "so it cannot be timed (fix its seeds or its output)."
                )
            measured[name].append(run.seconds)


def _ratios(measured: dict[str, list[float]]) -> list[float]:
    return [b / c if c > 0 else math.inf for b, c in zip(measured["baseline"], measured["candidate"])]


def _straddles(ratios: list[float], threshold: float, seed: int) -> bool:
    """The interval has the bar inside it and the median is past half-way to it: more rounds may decide."""
    low, high = bootstrap_ci(ratios, seed=seed)
    return low < threshold <= high and statistics.median(ratios) >= 1.0 + (threshold - 1.0) / 2


def bootstrap_ci(
    ratios: Sequence[float], *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the median of `ratios`.

    Hand-written (a dozen lines) so that numpy/scipy are not dependencies of suture.
    """
    values = list(ratios)
    if not values:
        raise ValueError("bootstrap_ci needs at least one value")
    rng = random.Random(seed)
    n = len(values)
    medians = sorted(statistics.median(rng.choices(values, k=n)) for _ in range(resamples))
    tail = (1.0 - confidence) / 2.0
    return _quantile(medians, tail), _quantile(medians, 1.0 - tail)


def _quantile(ordered: list[float], q: float) -> float:
    k = (len(ordered) - 1) * q
    lo = int(math.floor(k))
    hi = min(lo + 1, len(ordered) - 1)
    if k == lo or ordered[lo] == ordered[hi]:  # keeps inf (a candidate timed at 0 s) out of the arithmetic
        return ordered[lo]
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _calibrated_calls(fast_call: float, slow_call: float) -> int:
    """Calls per process so the faster side's timed work reaches CALIBRATION_SECONDS,
    capped so the slower side's process stays near MAX_PROCESS_SECONDS."""
    wanted = math.ceil(CALIBRATION_SECONDS / max(fast_call, 1e-9))
    cap = max(1, math.floor(MAX_PROCESS_SECONDS / max(slow_call, 1e-9)))
    return max(1, min(wanted, cap, MAX_CALLS))


def _servers(sides: dict[str, Runner], time_limit: float, pool=None) -> dict:
    """A warm harness per side (from `pool`, when given) when every side is a harness run and every server
    starts; otherwise none."""
    from suture.tools.perf import warm

    if not warm.available() or not all(r.harness and list(r.argv[:len(r.harness)]) == list(r.harness)
                                       for r in sides.values()):
        return {}
    servers: dict = {}
    try:
        for name, runner in sides.items():
            env = {**project_env(), "PYTHONHASHSEED": "0", **(runner.env or {})}
            start = warm.Server if pool is None else pool.server
            servers[name] = start([*runner.harness, "serve"], runner.cwd, env, runner.writable,
                                  ready_seconds=min(warm.READY_SECONDS, time_limit))
    except warm.ServerGone:  # fresh processes for both sides, as before
        if pool is None:
            for server in servers.values():
                server.close()
        return {}
    return servers


def _run_within(name: str, runner: Runner, calls: int, time_limit: float, ends: float, budget: float,
                server=None) -> _Run:
    """One run given at most what is left of the comparison's budget (ending at monotonic `ends`)."""
    left = ends - time.monotonic()
    if left <= 0:
        raise TimingError(f"The comparison's {budget:g} s ran out before the {name}'s next run.")
    cut = f"The comparison's {budget:g} s ran out during the {name}'s run." if left < time_limit else None
    return _run_one(name, runner, calls, min(time_limit, left), stopped=cut, server=server)


def _run_one(name: str, runner: Runner, calls: int, time_limit: float, stopped: str | None = None,
             server=None) -> _Run:
    """One run of a side (forked from `server`, tools/perf/warm.py, when given); `stopped` is the sentence for
    a run stopped at `time_limit` (default: its own limit)."""
    from suture.tools.perf.warm import ServerGone

    env = {**project_env(), "PYTHONHASHSEED": "0", **(runner.env or {}), CALLS_ENV: str(calls)}
    try:
        if server is not None:
            stdout, stderr, code, wall = server.run(list(runner.argv[len(runner.harness):]), {CALLS_ENV: str(calls)},
                                                    time_limit)
        else:
            stdout, stderr, code, wall = run_process(runner.argv, Path(runner.cwd), env, time_limit, runner.writable)
    except ServerGone as gone:
        raise TimingError(f"The {name}'s warm harness ended: {gone}.") from None
    except subprocess.TimeoutExpired:
        raise TimingError(stopped or f"The {name} ran longer than {time_limit:g} s and was stopped.") from None
    except OSError as error:
        raise TimingError(f"The {name} command cannot be started: {error.strerror or error}.") from None
    if code != 0:
        last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
        detail = f": {last}" if last else " and printed nothing on stderr"
        raise TimingError(f"The {name} command failed with exit code {code}{detail}")
    output, times = split_timing(stdout)
    if times is None:
        return _Run(wall, False, output)
    if not times:
        raise TimingError(f"The {name} printed a suture_timing line with no times.")
    return _Run(statistics.median(times), True, output)


def split_timing(stdout: str) -> tuple[str, list[float] | None]:
    """(stdout without the timing line, the per-call seconds or None when there is no line)."""
    lines = stdout.rstrip("\n").split("\n")
    if lines and lines[-1].startswith('{"suture_timing"'):
        try:
            times = json.loads(lines[-1])["suture_timing"]
            values = [float(t) for t in times]
        except (ValueError, TypeError, KeyError):
            return stdout, None
        return "\n".join(lines[:-1]), values
    return stdout, None


def run_process(
    argv: Sequence[str], cwd: Path, env: dict[str, str] | None, time_limit: float, writable: Sequence[Path] = ()
) -> tuple[str, str, int, float]:
    """Run argv once as the project's tests are run; (stdout, stderr, exit code, wall seconds).

    The command runs project code, so it is confined like a test run (tools/testing/sandbox.py,
    `--sandbox` and `--memory-limit`): under its leader (subreaper, parent-death signal, memory
    cap), inside bwrap when the policy says so, where only `cwd`, a private temp dir (TMPDIR) and
    `writable` may be written; `env` None is this environment minus the secrets. The wall time is
    the command's own, measured by its leader, so the confinement's start-up is not timed.
    Raises subprocess.TimeoutExpired after killing everything the command started, OSError when
    it cannot be started.
    """
    cwd = Path(cwd).resolve()
    argv = list(argv)
    if argv and os.sep in argv[0] and not os.path.isabs(argv[0]):  # ./bench.sh: relative to cwd, as Popen has it
        argv[0] = str(cwd / argv[0])
    with tempfile.TemporaryDirectory(prefix="suture-timed-", dir=sandbox.private_scratch_root()) as scratch:
        private = Path(scratch)
        (private / "tmp").mkdir()
        wall_file = private / "wall"
        env = {**(project_env() if env is None else env), "TMPDIR": str(private / "tmp"), sandbox.WALL_ENV: str(wall_file)}
        dirs = [str(cwd), str(private), *(str(Path(d).resolve()) for d in writable)]
        start = time.perf_counter()
        done = sandbox.run_confined(argv, cwd=cwd, env=env, time_limit=time_limit, writable=lambda: dirs,
                                    memory_limit=sandbox.policy().memory_limit)
        wall = time.perf_counter() - start
        if done.returncode is None:
            raise subprocess.TimeoutExpired(argv, time_limit)
        try:
            wall = float(wall_file.read_text())
        except (OSError, ValueError):
            pass  # no leader (not Linux): the whole process's wall time
    return done.stdout, done.stderr, done.returncode, wall
