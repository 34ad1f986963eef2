"""tools/perf/timing.py against real processes: small Python scripts written to tmp dirs.

The statistics are checked with sides that REPORT fixed per-call times through the timing
protocol (real processes, deterministic numbers), so no assertion depends on how fast this
machine is. Claims about real measured timings carry the `timing` marker, which the default
run deselects (`pytest -m timing` runs them); bench/bench_timing.py measures them properly.
"""

from __future__ import annotations

import os
import statistics
import sys
import textwrap
import time
from pathlib import Path

import pytest

from suture.tools.perf.timing import (
    Comparison,
    Runner,
    TimingError,
    _calibrated_calls,
    bootstrap_ci,
    compare,
    split_timing,
)

# A CPU-bound loop of N iterations speaking the timing protocol; prints the same line for any N.
LOOP = """
import json, os, sys, time
n = int(sys.argv[1])
times = []
for _ in range(int(os.environ.get("SUTURE_HARNESS_CALLS", "1"))):
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i % 7
    times.append(time.perf_counter() - start)
print("done", OUTPUT)
print(json.dumps({"suture_timing": times}))
"""


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# Speaks the timing protocol with per-call times given on the command line instead of measured.
REPORTED = """
import json, os, sys
calls = int(os.environ.get("SUTURE_HARNESS_CALLS", "1"))
print("done same", calls > 0)
print(json.dumps({"suture_timing": [float(sys.argv[1])] * calls}))
"""


def reported_runner(tmp_path: Path, seconds_per_call: float) -> Runner:
    path = tmp_path / "reported.py"
    path.write_text(REPORTED)
    return Runner([sys.executable, str(path), repr(seconds_per_call)], tmp_path)


def loop_runner(tmp_path: Path, n: int, output: str = "'same'") -> Runner:
    path = tmp_path / f"loop_{output.strip(chr(39))}.py"
    path.write_text(LOOP.replace("OUTPUT", output))
    return Runner([sys.executable, str(path), str(n)], tmp_path)


def test_equal_reported_times_are_a_speedup_of_one_and_not_significant(tmp_path):
    side = reported_runner(tmp_path, 2e-3)
    result = compare(side, side, rounds=8, seed=1)
    assert isinstance(result, Comparison)
    assert (result.speedup, result.ci_low, result.ci_high) == (1.0, 1.0, 1.0)
    assert not result.significant and result.threshold == 1.05
    assert result.baseline_seconds == result.candidate_seconds == 2e-3
    assert not result.outputs_differ
    assert result.rounds == 8
    assert result.note == "median of 25 timed call(s) per process"  # 0.05 s of timed work at 2 ms a call
    assert set(result.to_dict()) >= {"speedup", "ci_low", "ci_high", "significant", "outputs_differ"}


def test_a_candidate_reporting_twenty_times_less_time_is_significant(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    result = compare(reported_runner(tmp_path / "b", 2e-3), reported_runner(tmp_path / "c", 1e-4), rounds=4, seed=0)
    assert result.significant
    assert result.speedup == pytest.approx(20) and result.ci_low == pytest.approx(20)
    assert result.ci_low <= result.speedup <= result.ci_high
    assert (result.baseline_seconds, result.candidate_seconds) == (2e-3, 1e-4)
    assert not result.outputs_differ


def test_calls_reported_under_10_microseconds_need_a_larger_speedup(tmp_path):
    side = reported_runner(tmp_path, 5e-6)
    result = compare(side, side, rounds=2)
    assert result.threshold == 1.15
    assert result.note == "median of 10000 timed call(s) per process"


def test_calls_are_calibrated_on_the_faster_side_and_capped_by_the_slower():
    assert _calibrated_calls(1e-3, 1e-3) == 50  # 0.05 s of timed work on the faster side
    assert _calibrated_calls(1e-5, 0.1) == 2  # ... but the slower side's process stays near 0.25 s
    assert _calibrated_calls(0.06 / 4.5, 0.06) == 4  # a 50-60 ms base (sized so) and a 4.5x faster candidate
    assert _calibrated_calls(1e-9, 1e-9) == 100_000  # MAX_CALLS
    assert _calibrated_calls(1.0, 2.0) == 1


@pytest.mark.timing
def test_same_code_on_both_sides_is_not_significant(tmp_path):
    side = loop_runner(tmp_path, 100_000)
    result = compare(side, side, rounds=8, seed=1)
    assert not result.significant
    assert result.ci_low <= result.speedup <= result.ci_high
    assert result.ci_low < result.threshold == 1.05
    assert "timed call" in result.note


@pytest.mark.timing
def test_a_much_faster_candidate_is_significant(tmp_path):
    baseline = loop_runner(tmp_path, 200_000)
    candidate = loop_runner(tmp_path, 10_000)  # 20x less work
    result = compare(baseline, candidate, rounds=4, seed=0)
    assert result.significant
    assert result.speedup > 5
    assert result.ci_low > 3
    assert result.baseline_seconds > result.candidate_seconds
    assert not result.outputs_differ


def test_outputs_that_differ_between_the_sides_are_reported(tmp_path):
    baseline = loop_runner(tmp_path, 10_000, output="'a'")
    candidate = loop_runner(tmp_path, 10_000, output="'b'")
    assert compare(baseline, candidate, rounds=2).outputs_differ


@pytest.mark.timing
def test_calls_are_calibrated_to_a_measurable_amount_of_work(tmp_path):
    # ~1000 iterations take well under a millisecond: one call per process would time noise.
    side = loop_runner(tmp_path, 1_000)
    result = compare(side, side, rounds=2)
    calls = int(result.note.split()[2])
    assert calls > 10
    assert calls * result.baseline_seconds >= 0.02


@pytest.mark.timing
def test_calls_under_10_microseconds_need_a_larger_speedup(tmp_path):
    side = loop_runner(tmp_path, 10)
    result = compare(side, side, rounds=2)
    assert result.baseline_seconds < 10e-6
    assert result.threshold == 1.15


def test_without_the_timing_line_the_wall_time_of_the_process_counts(tmp_path):
    path = script(tmp_path, "plain.py", "print(sum(range(1000)))\n")
    side = Runner([sys.executable, str(path)], tmp_path)
    result = compare(side, side, rounds=2)
    assert "wall time" in result.note
    assert result.baseline_seconds > 0  # whole processes, an interpreter start-up included
    assert result.threshold == 1.05
    assert result.ci_low <= result.speedup <= result.ci_high


def test_a_budget_bounds_the_whole_comparison_not_each_run(tmp_path):
    # Each run sleeps 0.4 s: 12 rounds are ~10 s of runs, each well inside its own 60 s limit; the
    # comparison's 1.5 s budget runs out within the first rounds and says so, instead of running on.
    path = script(tmp_path, "sleepy.py", "import time\ntime.sleep(0.4)\nprint('same')\n")
    side = Runner([sys.executable, str(path)], tmp_path)
    with pytest.raises(TimingError, match=r"comparison's 1.5 s ran out (before|during) the (baseline|candidate)'s (next )?run"):
        compare(side, side, rounds=12, time_limit=60, budget=1.5)
    assert compare(side, side, rounds=2, time_limit=60, budget=60).speedup > 0  # a budget that suffices


def test_bootstrap_ci_is_deterministic_and_holds_the_median():
    ratios = [1.0, 1.2, 0.9, 1.1, 1.05, 0.97, 1.3, 1.01]
    first = bootstrap_ci(ratios, seed=7)
    assert first == bootstrap_ci(ratios, seed=7)
    assert first[0] <= statistics.median(ratios) <= first[1]
    assert min(ratios) <= first[0] < first[1] <= max(ratios)
    narrower = bootstrap_ci(ratios, confidence=0.5, seed=7)
    assert first[0] <= narrower[0] <= narrower[1] <= first[1]
    assert bootstrap_ci([2.0] * 5) == (2.0, 2.0)


def test_non_deterministic_output_is_an_error(tmp_path):
    path = script(tmp_path, "random_out.py", "import os\nprint(os.urandom(8).hex())\n")
    noisy = Runner([sys.executable, str(path)], tmp_path)
    steady = Runner([sys.executable, "-c", "print(1)"], tmp_path)
    with pytest.raises(TimingError, match="baseline prints different output on two runs"):
        compare(noisy, steady, rounds=3)


def test_a_failing_side_is_an_error_naming_it(tmp_path):
    path = script(
        tmp_path,
        "fails.py",
        """
        import sys
        print("some progress")
        print("ValueError: the workload broke", file=sys.stderr)
        sys.exit(3)
        """,
    )
    good = loop_runner(tmp_path, 1_000)
    with pytest.raises(TimingError) as error:
        compare(good, Runner([sys.executable, str(path)], tmp_path), rounds=2)
    message = str(error.value)
    assert message.startswith("The candidate command failed with exit code 3")
    assert "the workload broke" in message
    assert "\n" not in message


def test_a_command_that_cannot_start_is_an_error(tmp_path):
    with pytest.raises(TimingError, match="baseline command cannot be started"):
        compare(Runner([str(tmp_path / "missing")], tmp_path), loop_runner(tmp_path, 10), rounds=2)


def test_a_hanging_side_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    path = script(
        tmp_path,
        "hangs.py",
        f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(60)
        """,
    )
    with pytest.raises(TimingError, match="The candidate ran longer than 1.5 s and was stopped"):
        compare(loop_runner(tmp_path, 10), Runner([sys.executable, str(path)], tmp_path), rounds=2, time_limit=1.5)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_timing_line_on_one_side_only_is_an_error(tmp_path):
    plain = Runner([sys.executable, "-c", "print('done same')"], tmp_path)
    with pytest.raises(TimingError, match="baseline prints a suture_timing line but the candidate does not"):
        compare(loop_runner(tmp_path, 10), plain, rounds=2)


def test_too_few_rounds_is_an_error(tmp_path):
    side = loop_runner(tmp_path, 10)
    with pytest.raises(TimingError, match="at least 2 rounds"):
        compare(side, side, rounds=1)


def test_split_timing_takes_only_a_last_timing_line():
    assert split_timing('a\nb\n{"suture_timing": [0.5, 1]}\n') == ("a\nb", [0.5, 1.0])
    assert split_timing('{"suture_timing": [1]}\nafter\n') == ('{"suture_timing": [1]}\nafter\n', None)
    assert split_timing("plain\n") == ("plain\n", None)
    assert split_timing('x\n{"suture_timing": "bad"}\n')[1] is None


def test_runner_env_reaches_the_process(tmp_path):
    code = "import os; print(os.environ['SIDE_MARK'], os.environ['PYTHONHASHSEED'])"
    a = Runner([sys.executable, "-c", code], tmp_path, {"SIDE_MARK": "x"})
    b = Runner([sys.executable, "-c", code], tmp_path, {"SIDE_MARK": "y"})
    assert compare(a, b, rounds=2).outputs_differ
    assert not compare(a, a, rounds=2).outputs_differ
    assert os.environ.get("SIDE_MARK") is None


# A target whose module counts its imports, keeps state between calls and writes into its temp dir: each
# forked run must see a fresh import, fresh module state and an empty TMPDIR, as a fresh process does.
STATEFUL = """
import os, subprocess, sys, tempfile

with open(os.environ["IMPORTS_FILE"], "a") as fh:
    fh.write("i")
_calls = []


def work(n):
    _calls.append(n)
    open(os.path.join(tempfile.gettempdir(), f"left-{os.getpid()}"), "w").close()
    if n < 0:
        while True:
            pass
    if n == 1:  # leaves a process behind, in a session of its own
        sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
        with open(os.environ["IMPORTS_FILE"] + ".pid", "w") as fh:
            fh.write(str(sleeper.pid))
    return (len(_calls), len(os.listdir(tempfile.gettempdir())), sum(range(n)))
"""


def test_a_warm_harness_forks_a_fresh_run_per_measurement_and_kills_what_a_run_left(tmp_path):
    """tools/perf/warm.py: every forked run imports the tree's code afresh (none in the server), has fresh
    module state and an empty TMPDIR of its own, prints what a fresh process prints; what a run leaves
    running is killed before the answer; a run past its limit is stopped with the server."""
    from suture.tools.perf import warm

    harness = [sys.executable, "-m", "suture.tools.perf.harness"]
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("")
    (tree / "pkg" / "work.py").write_text(STATEFUL)
    (tmp_path / "load.py").write_text("def make_input(scale):\n    return (scale,)\n")
    imports = tmp_path / "imports"
    env = {**os.environ, "PYTHONHASHSEED": "0", "IMPORTS_FILE": str(imports)}

    def args(scale: int) -> list[str]:
        return ["time", "--root", str(tree), "--target", "pkg.work:work", "--workload", str(tmp_path / "load.py"),
                "--scale", str(scale)]

    import subprocess

    from suture.tools.perf.timing import run_process

    fresh, error, code, _ = run_process([*harness, *args(5)], tree, {**env, "SUTURE_HARNESS_CALLS": "2"}, 60)
    assert code == 0, error
    imports.unlink()
    server = warm.Server([*harness, "serve"], tree, env)
    try:
        assert not imports.exists()  # the server imported nothing of the tree
        runs = [server.run(args(5), {"SUTURE_HARNESS_CALLS": "2"}, 60) for _ in range(3)]
        assert imports.read_text() == "iii" and all(code == 0 for _, _, code, _ in runs), runs
        # the second call of each run sees the first call's state only, and one file in its own TMPDIR
        assert [split_timing(out)[0] for out, _, _, _ in runs] == [split_timing(fresh)[0]] * 3
        assert all(len(split_timing(out)[1]) == 2 for out, _, _, _ in runs)
        out, _, code, _ = server.run(args(1), {}, 60)
        assert code == 0, out
        sleeper = int((tmp_path / "imports.pid").read_text())
        with pytest.raises(ProcessLookupError):  # killed and reaped before the server answered
            os.kill(sleeper, 0)
        with pytest.raises(subprocess.TimeoutExpired):
            server.run(args(-1), {}, 1)
        with pytest.raises(warm.ServerGone):
            server.run(args(5), {}, 60)
    finally:
        server.close()


def test_harness_sides_are_timed_warm_both_or_neither(tmp_path):
    """compare() forks both sides' runs from warm harnesses when both are harness runs, and times a
    comparison with any other side in fresh processes for both."""
    harness = (sys.executable, "-m", "suture.tools.perf.harness")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "work.py").write_text("def work(n):\n    return sum(range(n))\n")
    (tmp_path / "load.py").write_text("def make_input(scale):\n    return (20000 * scale,)\n")
    argv = [*harness, "time", "--root", str(tmp_path), "--target", "pkg.work:work", "--workload",
            str(tmp_path / "load.py"), "--scale", "1"]
    side = Runner(argv, tmp_path, {"PYTHONHASHSEED": "0"}, harness=harness)
    assert compare(side, side, rounds=2).note.endswith("each forked from a warm harness")
    assert not compare(side, side, rounds=2, warm=False).note.endswith("warm harness")
    assert not compare(side, Runner(argv, tmp_path, {"PYTHONHASHSEED": "0"}), rounds=2).note.endswith("warm harness")
