"""bench/calibration.py: the trust and reliability tables from bench_fix.py's per-case rows, and
bench_fix.py's part in them (the evidence switch per run, the confidence recorded per case)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _row(name, *, claimed=False, correct=False, plausible=False, plausible_correct=False, confidence=None,
         evidence="on", seconds=10.0, source="bug"):
    return {"source": source, "name": name, "kind": "k", "evidence": evidence, "claimed_fixed": claimed,
            "fixed": claimed or plausible, "correct": correct, "plausible": plausible,
            "plausible_correct": plausible_correct, "confidence": confidence, "seconds": seconds}


ROWS = [
    _row("a", claimed=True, correct=True, confidence=0.9),
    _row("b", claimed=True, correct=True, confidence=0.95),
    _row("c", claimed=True, correct=False, confidence=0.8),  # claimed but wrong
    _row("d", plausible=True, plausible_correct=True, confidence=0.45),  # a correct patch demoted
    _row("e", plausible=True, plausible_correct=False, confidence=0.2),
    _row("f"),  # nothing returned
]


def test_trust_counts_precision_claimed_wrong_and_demoted():
    calibration = _load("calibration")
    t = calibration.trust(ROWS)
    assert (t["claimed"], t["claimed_correct"], t["claimed_wrong"], t["wrong"]) == (3, 2, 1, ["c"])
    assert abs(t["precision"] - 2 / 3) < 1e-9
    assert (t["demoted"], t["correct_returned"], t["demoted_names"]) == (1, 3, ["d"])
    assert t["correct"] == 2  # a demoted patch is not counted correct: it was not delivered


def test_reliability_bins_every_returned_patch_against_its_verdict():
    calibration = _load("calibration")
    table, ece = calibration.reliability(ROWS)
    by_bin = {b["bin"][0]: b for b in table}
    assert by_bin[0.0]["n"] == 1 and by_bin[0.0]["right"] == 0  # e: 0.2, wrong
    assert by_bin[0.3]["n"] == 1 and by_bin[0.3]["right"] == 1  # d: 0.45, correct though held back
    assert by_bin[0.7]["n"] == 1 and by_bin[0.7]["right"] == 0  # c: 0.8, wrong
    assert by_bin[0.85]["n"] == 2 and by_bin[0.85]["right"] == 2
    assert by_bin[0.5]["n"] == 0
    # gaps: e 0.2, d 0.55, c 0.8, a 0.1, b 0.05 over 5 patches
    assert abs(ece - (0.2 + 0.55 + 0.8 + 0.075 * 2) / 5) < 1e-9


def test_cost_compares_the_same_cases_with_the_evidence_on_and_off():
    calibration = _load("calibration")
    rows = [_row("a", claimed=True, correct=True, confidence=0.9, seconds=12.0),
            _row("a", claimed=True, correct=True, confidence=0.9, seconds=10.0, evidence="off"),
            _row("b", claimed=True, correct=True, confidence=0.9, seconds=24.0),
            _row("b", claimed=True, correct=True, confidence=0.9, seconds=20.0, evidence="off")]
    c = calibration.cost(rows)
    assert abs(c["ratio"] - 18.0 / 15.0) < 1e-9 and abs(c["paired"] - 1.2) < 1e-9 and c["pairs"] == 2
    assert any("evidence cost" in line and "1.20x" in line for line in calibration.verdicts(rows))


def test_calibration_cli_reads_rows_and_prints_the_tables(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    done = subprocess.run([sys.executable, str(BENCH / "calibration.py"), str(rows)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "| bench/bugs | on | 6 | 3 | 2 (67%) | 1 | 1 (33%) | 2 (33%) |" in done.stdout
    assert "precision of `fixed` 67% (target >= 95%: **missed**); claimed but wrong 1 (c)" in done.stdout
    assert "| [0.85, 1.00] | 2 | 0.93 | 2 (100%) |" in done.stdout
    missing = subprocess.run([sys.executable, str(BENCH / "calibration.py"), str(tmp_path / "none.jsonl")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "cannot read the rows" in missing.stderr and "Traceback" not in missing.stderr


def test_bench_fix_runs_each_case_both_ways_and_records_the_confidence(tmp_path, monkeypatch):
    bench_fix = _load("bench_fix")
    (bug,) = bench_fix.bugs_corpus.load_bugs(["binary_search"])
    case = bench_fix.BugCase("bug", bug.name, bug.kind, bug=bug)
    runs = bench_fix.evidence_runs([case, case], "both")
    assert [mode for _, mode in runs] == ["off", "on", "on", "off"]
    assert [mode for _, mode in bench_fix.evidence_runs([case], "off")] == ["off"]
    seen = []

    def fake_fix(repo, time_limit, evidence="on", synthesis=None):
        seen.append(evidence)
        return {"status": "fixed", "patch": bug.fix_diff, "engine": "rules", "candidates_tried": 3,
                "confidence": {"value": 0.83}, "exit_code": 0, "wall": 1.0, "killed": False}

    monkeypatch.setattr(bench_fix, "run_suture_fix", fake_fix)
    args = bench_fix.argparse.Namespace(dry_run=False, time_limit=60.0)
    row = bench_fix.run_case(case, args, "off")
    assert seen == ["off"] and row["evidence"] == "off"
    assert (row["confidence"], row["claimed_fixed"], row["correct"]) == (0.83, True, True)


def test_the_confidence_model_is_fitted_cross_validated_by_kind_and_reported(tmp_path):
    """`calibration.py --fit`: features read back from suture's reasons, a model per left-out kind,
    the reliability before and after, and the shipped weights file left alone without --write."""
    def fitted_row(name, kind, correct, covering, distinct, behaviour):
        reasons = [f"{covering} test(s) run the changed code", "verifier: not_run", behaviour]
        return {**_row(name, claimed=True, correct=correct, confidence=0.8), "kind": kind, "reasons": reasons,
                "distinct_passing": distinct}

    rows = [fitted_row(f"r{i}", f"k{i % 3}", True, 3, 1, "behaviour: changes HEAD's result on 4 of 90 inputs")
            for i in range(9)]
    rows += [fitted_row(f"w{i}", f"k{i % 3}", False, 3, 3, "behaviour: unknown: C.m is a method") for i in range(6)]
    # Held back by a cap (1 of 4 right): not fitted on, they give the held-back share, (1 + 1) / (4 + 2).
    held = [fitted_row(f"h{i}", f"k{i % 3}", i == 0, 3, 2, "behaviour: changes HEAD's result on 4 of 90 inputs")
            for i in range(4)]
    for row in held:
        row.update(claimed_fixed=False, correct=False, plausible=True, plausible_correct=row["correct"], confidence=0.45)
        row["reasons"].append("unresolved: the tests cannot decide: r1 and r2 disagree on `f(0)`: 0 vs 1")
    # A held-out library's fault (bench/faults/libraries.toml) is never fitted on: it is reported apart.
    heldout = {**fitted_row("parse:parse.py:1:1:x", "condition", True, 3, 1,
                            "behaviour: changes HEAD's result on 4 of 90 inputs"), "source": "fault"}
    rows += held + [heldout]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    weights = BENCH.parent / "agent" / "fix" / "calibration.json"
    shipped = weights.read_text()
    done = subprocess.run([sys.executable, str(BENCH / "calibration.py"), str(path), "--fit"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert ("fitted on 19 returned patches of bench/bugs and the train libraries of bench/faults (evidence on), "
            "3 kinds: the weights on the 15 no cap held back, `held_back` 0.33 from the 4 held back") in done.stdout
    heldout_names = _load("fitting").heldout_libraries()  # libraries.toml's `group = "heldout"`, grown by stops
    assert {"jmespath", "parse", "schema"} <= heldout_names
    assert f"held-out libraries ({', '.join(sorted(heldout_names))}; never fitted on)" in done.stdout
    weight = {line.split("|")[1].strip(): float(line.split("|")[3]) for line in done.stdout.splitlines()
              if line.startswith(("| rivals", "| uncompared"))}
    assert weight["rivals"] < 0 and weight["uncompared"] < 0  # what told the wrong rows apart here
    assert "leave-one-kind-out" in done.stdout and done.stdout.count("ECE ") == 4  # bugs before/after, held-out too
    assert weights.read_text() == shipped
