"""bench/bench_localize.py's --batch path (issue 22): each fault's methods as `suture localize` tasks, its
ranks read back from their reports, and the plain baseline from the ochiai task's coverage data file,
whose paths name localize's scratch checkout (gone by then), not the tree. No suture run: the reports
and the data file are made here (the batch path itself ran in bench/RESULTS.md, h/batch29)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import coverage

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_localize():
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(BENCH / "faults"))
    spec = importlib.util.spec_from_file_location("bench_localize_for_batch", BENCH / "bench_localize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAULT = {"id": "lib:pkg/mod.py:3:11:negate-if", "library": "lib", "path": "pkg/mod.py", "symbol": "pick"}
SOURCE = "def other(x):\n    return x\n\ndef pick(x):\n    if x:\n        return 1\n    return 2\n"


def test_each_method_is_a_task_with_a_valid_id_and_the_whole_ranking():
    bench = bench_localize()
    methods = bench.task_methods(FAULT, mutation=True)
    assert list(methods) == ["ochiai", "tarantula", "dstar", bench.WITH_MUTATION]  # no issue text for this id
    assert methods["dstar"] == {"top": bench.BATCH_TOP, "mutation": "off", "formula": "dstar"}
    assert methods[bench.WITH_MUTATION]["mutation"] == "on"
    ids = {bench.task_id(FAULT, m) for m in methods}
    assert len(ids) == 4 and all(re.fullmatch(r"[\w.@+-]{1,100}", i) for i in ids)  # agent/batch/tasks.py's rule


def test_ranks_come_from_the_reports_and_the_baseline_from_the_scratch_checkouts_coverage(tmp_path):
    bench = bench_localize()
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "mod.py").write_text(SOURCE)
    # The run measured pkg/mod.py in its scratch checkout: line 5 (in pick) by the failing test only,
    # line 2 (in other) by both tests.
    data_file = tmp_path / "run" / "coverage.db"
    data_file.parent.mkdir()
    data = coverage.CoverageData(basename=str(data_file))
    scratch = tmp_path / "scratch-gone" / "checkout"
    data.add_lines({str(scratch / "pkg" / "mod.py"): [5]})
    data.set_context("t.py::test_fails")
    data.add_lines({str(scratch / "pkg" / "mod.py"): [2, 5]})
    data.set_context("t.py::test_passes")
    data.add_lines({str(scratch / "pkg" / "mod.py"): [2]})
    data.write()
    assert bench.coverage_root(data_file, tree) == scratch

    def report(*ranked):
        return {"ranking": [{"path": "pkg/mod.py", "symbol": s, "score": v} for s, v in ranked],
                "failing": ["t.py::test_fails"], "flaky": [], "coverage_file": str(data_file), "wall": 3.0}

    reports = {bench.task_id(FAULT, "ochiai"): report(("pick", 1.0), ("other", 0.7)),
               bench.task_id(FAULT, "tarantula"): report(("other", 0.5), ("pick", 0.5)),
               bench.task_id(FAULT, "dstar"): report(("other", 2.0), ("pick", 1.0))}
    result = bench.batch_result(FAULT, reports, ["ochiai", "tarantula", "dstar"], tree, total_units=3)
    assert result["ranks"] == {"ochiai": 1, "tarantula": 1.5, "dstar": 2, bench.BASELINE: 1}
    assert result["listed"] == {"ochiai": 1, "tarantula": 2, "dstar": 2}
    assert result["top_suspect"] == ["pkg/mod.py", "pick"] and result["failing"] == 1

    # A method whose task left no ranking (crashed, timed out) makes the fault one without a ranking.
    reports[bench.task_id(FAULT, "dstar")] = {"status": "error", "error": "stopped after the task time limit"}
    failed = bench.batch_result(FAULT, reports, ["ochiai", "tarantula", "dstar"], tree, total_units=3)
    assert failed["ranks"] == {} and "dstar: stopped after the task time limit" in failed["error"]
