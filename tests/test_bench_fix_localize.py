"""bench/bench_fix_localize.py's own parts, without a `suture fix` run: the "before" weights file ranks by
plain Ochiai alone and loads as localisation loads it, a run's ranking is read from its trajectory, and
the table counts correct fixes per side. (The ranking that file gives is checked on a real run in
tests/test_cli_localize_fitted.py.)"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from suture.tools.testing.combine import fitted_weight, load_fitted
from suture.tools.testing.features import FEATURES

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load():
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(BENCH / "faults"))
    spec = importlib.util.spec_from_file_location("bench_fix_localize_for_test", BENCH / "bench_fix_localize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_before_weights_rank_by_plain_ochiai_only_and_the_table_counts_each_side(tmp_path):
    bench = _load()
    weights, problem = load_fitted(bench.plain_ochiai_weights(tmp_path / "plain.json"))
    assert problem is None and set(weights) == set(FEATURES)
    # Every feature, the issue text's too, is named with 0: none falls back to its hand weight.
    assert {f: fitted_weight(weights, f) for f in FEATURES} == {f: float(f == "ochiai_plain") for f in FEATURES}

    run_dir = tmp_path / "repo" / ".suture" / "runs" / "r1"
    run_dir.mkdir(parents=True)
    events = [{"event": "baseline"}, {"event": "localised", "ranking": [{"path": "a.py", "symbol": "f"},
                                                                        {"path": "a.py", "symbol": "g"}]}]
    (run_dir / "trajectory.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    assert bench._ranking(tmp_path / "repo", ".suture/runs/r1") == [("a.py", "f"), ("a.py", "g")]
    assert bench._ranking(tmp_path / "repo", None) == []

    def row(name, mode, correct, plausible_correct=False):
        return {"name": name, "mode": mode, "rank": 1, "correct": correct, "claimed_fixed": correct, "fixed": correct,
                "plausible": plausible_correct, "plausible_correct": plausible_correct, "candidates": 3,
                "seconds": 10.0, "status": "fixed" if correct else "not_fixed"}

    text = bench.table([row("x", "before", False), row("x", "after", True), row("y", "after", False, True),
                        row("y", "before", False), row("z", "before", True)])
    assert "on the 2 complete pairs: plain Ochiai 0, suture default 1 (+1)" in text
    assert "(claimed or shown as plausible): 0 -> 2" in text
    assert "| z | >20" not in text and "| z | 1, correct fix, 3, 10 | - |" in text
