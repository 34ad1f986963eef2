"""The optimize pipeline's parts: the deterministic harness (real subprocesses on small trees),
result comparison, target lookup and the changed-function diff."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from suture.agent.exitcodes import SutureExit
from suture import prompts
from suture.agent.optimize.pipeline import changed_functions as _changed_functions, locate
from suture.tools.verify.values import canonical, same_value as same

HARNESS = [sys.executable, "-m", "suture.tools.perf.harness"]


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*HARNESS, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def last(done: subprocess.CompletedProcess, key: str):
    return json.loads(done.stdout.strip().splitlines()[-1])[key]


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg/__init__.py").write_text("")
    (root / "pkg/work.py").write_text(
        "import functools\n\n"
        "def dedupe(items):\n"
        "    out = []\n"
        "    for x in items:\n"
        "        if x not in out:\n"
        "            out.append(x)\n"
        "    return out\n\n"
        "def sort_in_place(items):\n"
        "    items.sort()\n"
        "    return len(items)\n\n"
        "@functools.lru_cache(maxsize=None)\n"
        "def slow_square(n):\n"
        "    total = 0\n"
        "    for _ in range(n * 20000):\n"
        "        total += 1\n"
        "    return n * n\n\n"
        "def cached(n):\n"
        "    return slow_square(n)\n"
    )
    (tmp_path / "grow.py").write_text(
        "import random\n"
        "def make_input(scale):\n"
        "    return ([random.randrange(scale * 30) for _ in range(scale * 60)],)\n"
    )
    (tmp_path / "fixed.py").write_text("def make_input(scale):\n    return ([3, 1, 2],)\n")
    (tmp_path / "ten.py").write_text("def make_input(scale):\n    return (10,)\n")
    return root


def test_scale_grows_until_a_call_takes_long_enough(tree):
    done = harness("scale", "--root", str(tree), "--target", "pkg.work:dedupe", "--workload", "../grow.py",
                   "--min-seconds", "0.02", cwd=tree)
    assert done.returncode == 0, done.stderr
    assert last(done, "suture_scale") > 1 and last(done, "seconds") >= 0.02


def test_a_workload_too_fast_at_the_cap_is_one_sentence(tree):
    done = harness("scale", "--root", str(tree), "--target", "pkg/work.py::dedupe", "--workload", "../fixed.py",
                   "--max-scale", "8", cwd=tree)
    assert done.returncode == 2
    assert "too fast to time" in done.stderr and "Traceback" not in done.stderr


def test_time_prints_a_deterministic_result_line_and_the_timing_protocol(tree):
    outputs = []
    for _ in range(2):
        done = harness("time", "--root", str(tree), "--target", "pkg.work:dedupe", "--workload", "../grow.py",
                       "--scale", "4", "--calls", "3", cwd=tree)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert len(json.loads(lines[-1])["suture_timing"]) == 3
        outputs.append(lines[:-1])
    assert outputs[0] == outputs[1] and outputs[0][0].startswith("result ")


def test_a_returned_generator_is_consumed_in_the_timed_call(tree):
    # What is timed and digested is the generator's items (bounded: an endless one stops).
    (tree / "pkg/lazy.py").write_text(
        "import itertools\n\n"
        "def as_list(items):\n    return [x * 2 for x in items]\n\n"
        "def as_generator(items):\n    for x in items:\n        yield x * 2\n\n"
        "def as_map(items):\n    return map(lambda x: x * 2, items)\n\n"
        "def wrong_generator(items):\n    for x in items:\n        yield x * 3\n\n"
        "def endless(items):\n    return itertools.count()\n"
    )
    digests = {}
    for name in ("as_list", "as_generator", "as_map", "wrong_generator", "endless"):
        done = harness("time", "--root", str(tree), "--target", f"pkg.lazy:{name}", "--workload", "../grow.py",
                       "--scale", "2", cwd=tree)
        assert done.returncode == 0, (name, done.stderr)
        digests[name] = done.stdout.strip().splitlines()[0]
    assert digests["as_generator"] == digests["as_map"] == digests["as_list"]  # the same items, however lazily
    assert digests["wrong_generator"] != digests["as_generator"]


def test_caches_are_cleared_before_every_call(tree):
    # An lru_cache would make calls after the first nearly free; cleared, every call does the work.
    done = harness("time", "--root", str(tree), "--target", "pkg.work:cached", "--workload", "../ten.py",
                   "--calls", "4", cwd=tree)
    assert done.returncode == 0, done.stderr
    times = last(done, "suture_timing")
    assert min(times) > max(times) / 20


def test_missing_target_is_one_sentence(tree):
    done = harness("time", "--root", str(tree), "--target", "pkg.work:nothing", "--workload", "../grow.py", cwd=tree)
    assert done.returncode == 2 and "defines no function" in done.stderr and "Traceback" not in done.stderr


def _record(tree: Path, watch: str, tmp_path: Path) -> Path:
    out = tmp_path / "inputs.pkl"
    done = harness("record", "--root", str(tree), "--target", "pkg.work:dedupe", "--workload", "../grow.py",
                   "--scale", "4", "--watch", watch, "--out", str(out), cwd=tree)
    assert done.returncode == 0, done.stderr
    assert last(done, "suture_record")["recorded"][watch] > 0
    return out


def test_replay_passes_the_same_code_and_catches_a_changed_order(tree, tmp_path):
    inputs = _record(tree, "pkg.work:dedupe", tmp_path)
    same_run = harness("replay", "--root", str(tree), "--inputs", str(inputs), cwd=tree)
    result = last(same_run, "suture_replay")
    assert result["checked"] > 1 and result["mismatches"] == []
    work = tree / "pkg/work.py"
    work.write_text(work.read_text().replace("    out = []\n", "    return sorted(set(items))\n    out = []\n", 1))
    changed = last(harness("replay", "--root", str(tree), "--inputs", str(inputs), cwd=tree), "suture_replay")
    assert changed["mismatches"] and changed["mismatches"][0]["function"] == "pkg.work:dedupe"


def test_replay_catches_a_different_mutation_of_the_arguments(tree, tmp_path):
    (tmp_path / "lists.py").write_text("def make_input(scale):\n    return ([5, 3, 4, 1] * scale,)\n")
    out = tmp_path / "inputs.pkl"
    done = harness("record", "--root", str(tree), "--target", "pkg.work:sort_in_place", "--workload",
                   "../lists.py", "--scale", "2", "--watch", "pkg.work:sort_in_place", "--out", str(out), cwd=tree)
    assert done.returncode == 0, done.stderr
    work = tree / "pkg/work.py"
    # Same result (the length), but the caller's list is no longer sorted.
    work.write_text(work.read_text().replace("    items.sort()\n", "    items = sorted(items)\n"))
    result = last(harness("replay", "--root", str(tree), "--inputs", str(out), cwd=tree), "suture_replay")
    assert result["mismatches"] and "arguments" in result["mismatches"][0]["actual"]


def test_same_compares_types_and_nan():
    nan = float("nan")
    assert same([1.0, nan, {"a": (nan,)}], [1.0, nan, {"a": (nan,)}])
    assert not same(1, 1.0)
    assert not same([1, 2], [2, 1])
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})  # insertion order is behaviour too
    assert same(float("inf"), math.inf)

    class Point:
        def __init__(self, x):
            self.x = x

    assert same(Point(1), Point(1)) and not same(Point(1), Point(2))


def test_canonical_has_no_addresses_and_sorted_sets():
    class Thing:
        pass

    assert "0x" not in canonical([object(), Thing()])
    assert canonical({"b", "a", "c"}) == canonical({"c", "b", "a"})


def test_locate_finds_module_and_path_targets(tmp_path):
    (tmp_path / "src/pkg").mkdir(parents=True)
    (tmp_path / "src/pkg/__init__.py").write_text("")
    (tmp_path / "src/pkg/mod.py").write_text("class A:\n    def m(self):\n        return 1\n\ndef f():\n    return 2\n")
    assert locate(tmp_path, "pkg.mod:f") == ("src/pkg/mod.py", "f")
    assert locate(tmp_path, "src/pkg/mod.py::A.m") == ("src/pkg/mod.py", "A.m")
    with pytest.raises(SutureExit, match="defines no function g"):
        locate(tmp_path, "pkg.mod:g")
    with pytest.raises(SutureExit, match="not found"):
        locate(tmp_path, "pkg.other:f")
    with pytest.raises(SutureExit, match="neither"):
        locate(tmp_path, "justaname")


def test_changed_functions_names_the_outermost_changed_definition():
    before = "def a():\n    return 1\n\ndef b():\n    def inner():\n        return 2\n    return inner()\n\nclass C:\n    def m(self):\n        return 3\n"
    after = before.replace("return 2", "return 20").replace("return 3", "return 30")
    assert _changed_functions(before, after) == ["b", "C.m"]
    assert _changed_functions(before, before) == []


def test_optimize_prompts_load_through_the_prompts_loader():
    assert "faster without changing what it does" in prompts.render("optimize_system")
    edit = prompts.render("optimize_edit", path="p.py", function="f", code="CODE", usage="U", profile="P",
                          tried="T", guidance="G")
    assert "CODE" in edit and "Speed up `f` in `p.py`" in edit and "$" not in edit
    workload = prompts.render("optimize_workload", target="m:f", path="p.py", function="f", code="C", usage="U")
    assert "make_input(scale)" in workload and "`f` in `p.py` (target `m:f`)" in workload


def test_scale_bisects_an_exponential_workload_and_skips_small_scales_that_raise(tree, tmp_path):
    (tree / "pkg/expo.py").write_text(
        "def paths(n):\n    return 1 if n < 2 else paths(n - 1) + paths(n - 2)\n\n"
        "def needs_big(n):\n    if n < 6:\n        raise IndexError('too small')\n    return paths(n)\n")
    (tmp_path / "n.py").write_text("def make_input(scale):\n    return (scale,)\n")
    done = harness("scale", "--root", str(tree), "--target", "pkg.expo:needs_big", "--workload", "../n.py",
                   "--min-seconds", "0.02", cwd=tree)
    assert done.returncode == 0, done.stderr
    assert last(done, "suture_scale") >= 8
    # Doubling from 2 to 4 overshoots (the call at 4 is interrupted): the scale in between is found.
    # The calls spin rather than sleep: a function target is sized by its CPU time (harness.cpu_clock).
    (tree / "pkg/steps.py").write_text(
        "import time\n\ndef step(n):\n    end = time.process_time() + (0.0 if n < 3 else 0.05 if n == 3 else 30)\n"
        "    while time.process_time() < end:\n        pass\n")
    done = harness("scale", "--root", str(tree), "--target", "pkg.steps:step", "--workload", "../n.py",
                   "--min-seconds", "0.02", "--max-call", "0.5", cwd=tree)
    assert done.returncode == 0, done.stderr
    assert last(done, "suture_scale") == 3
    # A doubling that lands far above the floor (16 ms is too fast, 32 ms is 60% over 20 ms) is narrowed
    # down between the two: every stage of an optimize run pays for the extra input.
    (tree / "pkg/linear.py").write_text(
        "import time\n\ndef spin(n):\n    end = time.process_time() + n / 1000\n"
        "    while time.process_time() < end:\n        pass\n")
    done = harness("scale", "--root", str(tree), "--target", "pkg.linear:spin", "--workload", "../n.py",
                   "--min-seconds", "0.02", cwd=tree)
    assert done.returncode == 0, done.stderr
    assert 16 < last(done, "suture_scale") < 32 and last(done, "seconds") >= 0.02


def test_narrowing_aims_on_the_power_law_through_the_bracket():
    from suture.tools.perf.harness import _aimed

    assert _aimed(16, 0.016, 32, 0.032, 0.023) == 23  # linear: straight at the aim, one build instead of halving
    assert _aimed(100, 0.010, 200, 0.040, 0.0169) == 130  # quadratic: 1.69x the time is 1.3x the scale
    assert _aimed(0, 0.0, 64, 0.5, 0.02) == 32  # no low call: the middle
    assert _aimed(100, 0.0499, 200, 10.0, 0.0575) == 112  # never closer to an end than an eighth of the step
    assert _aimed(100, 0.001, 200, 0.06, 0.0575) == 188


def test_a_base_run_stopped_by_the_time_limit_is_a_spent_budget_not_a_failing_bench(tmp_path, monkeypatch):
    """The base-commit checks' runs get what is left of --time-limit up to their own cap. Stopped at
    the cap, the bench is at fault (exit 2); stopped at the remainder of the time limit, the budget
    is spent (exit 5: on a loaded machine the old message rejected every real workload as failing).
    A bench that prints different output in two runs is still refused, whatever the limits."""
    from types import SimpleNamespace

    from suture.agent.exitcodes import ExitCode
    from suture.agent.optimize import bench as bench_module

    monkeypatch.setattr(bench_module, "STAGE_FLOOR_SECONDS", 0.5)
    monkeypatch.setattr(bench_module, "CHECK_CAP_SECONDS", 1.5)

    def state(left: float):
        return SimpleNamespace(best=tmp_path, left=lambda: left, options=SimpleNamespace(time_limit=60.0),
                               progress=SimpleNamespace(stage=lambda text: None))

    slow = bench_module.Bench("command", "sleep 20", argv=["sleep", "20"])
    with pytest.raises(SutureExit) as at_cap:
        bench_module.check_deterministic(state(1000.0), slow)
    assert at_cap.value.code == ExitCode.BAD_INPUT
    assert "fails at the base commit: it took longer than 2 s" in at_cap.value.message
    with pytest.raises(SutureExit) as cut:
        bench_module.check_deterministic(state(0.1), slow)
    assert cut.value.code == ExitCode.BUDGET_EXHAUSTED
    assert "time limit reached: the 60 s of --time-limit ran out while checking that sleep 20 runs" in cut.value.message
    assert "fails at the base commit" not in cut.value.message
    noisy = bench_module.Bench("command", "noisy", argv=[sys.executable, "-c", "import time; print(time.time_ns())"])
    monkeypatch.setattr(bench_module, "CHECK_CAP_SECONDS", 60.0)
    with pytest.raises(SutureExit) as varying:
        bench_module.check_deterministic(state(1000.0), noisy)
    assert varying.value.code == ExitCode.BAD_INPUT and "is not deterministic" in varying.value.message


def test_a_function_target_is_sized_by_cpu_time_not_by_waiting(tree, tmp_path):
    """A call that only waits does no work a rewrite could save: sized by CPU time (harness.cpu_clock),
    it is too fast to time, where wall time (which on a loaded machine is mostly waiting for a core)
    would have taken it as 60 ms of work."""
    (tree / "pkg/nap.py").write_text("import time\n\ndef nap(n):\n    time.sleep(0.06)\n")
    (tmp_path / "n.py").write_text("def make_input(scale):\n    return (scale,)\n")
    done = harness("scale", "--root", str(tree), "--target", "pkg.nap:nap", "--workload", "../n.py",
                   "--min-seconds", "0.05", "--max-scale", "2", cwd=tree)
    assert done.returncode == 2
    assert "too fast to time" in done.stderr and "of CPU" in done.stderr
    # A call that waits far longer is still stopped, by the wall-time backstop (10x --max-call), and counts
    # as an overshoot like a call past --max-call of CPU.
    (tree / "pkg/nap.py").write_text("import time\n\ndef nap(n):\n    time.sleep(0 if n < 3 else 60)\n")
    done = harness("scale", "--root", str(tree), "--target", "pkg.nap:nap", "--workload", "../n.py",
                   "--min-seconds", "0.05", "--max-call", "0.1", cwd=tree)
    assert done.returncode == 2 and "no scale gives a call between 50 ms and 0.1 s of CPU (scale 2 is faster, 3 slower)" \
        in done.stderr, done.stderr


def test_timed_processes_share_plain_inputs_built_once(tree, tmp_path):
    """With SUTURE_HARNESS_INPUTS (what optimize's comparisons set, tools/perf/inputs.py), make_input runs
    once for all timed processes and calls when its arguments are plain data that took a while to build; the
    calls see equal values (the same result digest as without the folder). Arguments holding an instance of
    some class are built by make_input every time (a candidate could build them differently)."""
    import os

    count = tmp_path / "made.txt"
    (tmp_path / "slow.py").write_text(
        "import random, time\n"
        "class Box(list):\n    pass\n\n"
        "def make_input(scale):\n"
        f"    with open({str(count)!r}, 'a') as f:\n        f.write('x')\n"
        "    end = time.process_time() + 0.03\n"
        "    while time.process_time() < end:\n        pass\n"
        "    items = [random.randrange(50) for _ in range(200)]\n"
        "    return (Box(items) if scale == 2 else items,)\n")
    folder = tmp_path / "inputs"
    folder.mkdir()
    env = {**os.environ, "SUTURE_HARNESS_INPUTS": str(folder), "SUTURE_HARNESS_CALLS": "3"}

    def timed(scale: int, with_folder: bool = True) -> str:
        done = subprocess.run([*HARNESS, "time", "--root", str(tree), "--target", "pkg.work:dedupe", "--workload",
                               str(tmp_path / "slow.py"), "--scale", str(scale)], cwd=tree, capture_output=True,
                              text=True, timeout=120, env=env if with_folder else {**env, "SUTURE_HARNESS_INPUTS": ""})
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[0]

    plain = [timed(1), timed(1)]
    assert count.read_text() == "x" and len(list(folder.glob("inputs-*.pickle"))) == 1
    assert plain == [timed(1, with_folder=False)] * 2 and count.read_text() == "xxxx"
    count.write_text("")
    timed(2)
    timed(2)
    assert count.read_text() == "x" * 6 and len(list(folder.glob("inputs-*.pickle"))) == 1
    # A pickle that is not plain data (the candidate's processes share the folder: a model's code could
    # leave one) is refused, never run, and the process builds its own inputs.
    import pickle

    class Shell:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    kept = next(folder.glob("inputs-*.pickle"))
    kept.write_bytes(pickle.dumps(Shell()))
    count.write_text("")
    assert timed(1) == plain[0] and count.read_text() == "x" and not (tmp_path / "ran").exists()
