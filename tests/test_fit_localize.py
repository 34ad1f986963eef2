"""bench/fit_localize.py on a tiny synthetic feature table, and the fitted weights file as
tools/testing/combine.py reads it (missing, corrupt, a feature newer than the fit)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from suture.tools.testing.combine import WEIGHTS, WEIGHTS_FILE, fitted_score, fitted_weight, load_fitted
from suture.tools.testing.features import FEATURES, rank_values

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load():
    spec = importlib.util.spec_from_file_location("bench_fit_localize", BENCH / "fit_localize.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _fault(library, n, truth_signal, decoy_sbfl):
    """A fault whose true function has a strong issue_bm25 but a lower ochiai than a decoy; size
    says nothing (equal on all)."""
    return {"id": f"{library}:{n}", "library": library, "group": "heldout" if library == "new" else "train",
            "truth": ["m.py", "bug"], "units": 10,
            "baseline_ranks": {"plain ochiai": 2.0, "hand": 2.0},
            "suspects": [
                {"path": "m.py", "symbol": "bug", "features": {"ochiai": 0.6, "issue_bm25": truth_signal, "size": 0.5}},
                {"path": "m.py", "symbol": "decoy", "features": {"ochiai": decoy_sbfl, "issue_bm25": 0.0, "size": 0.5}},
                {"path": "m.py", "symbol": "other", "features": {"ochiai": 0.1, "issue_bm25": 0.0, "size": 0.5}},
            ]}


def _table():
    rows = []
    for library in ("a", "b", "c", "new"):
        for n in range(4):
            rows.append(_fault(library, n, truth_signal=1.0, decoy_sbfl=0.9))
    return rows


def test_the_fit_learns_the_signal_that_beats_sbfl_and_ignores_noise():
    fit_localize = _load()
    rows = _table()
    weights = fit_localize.fit(rows, ["ochiai", "issue_bm25", "size"])
    assert weights["issue_bm25"] > 0 and weights["size"] == 0
    assert all(fit_localize.rank_of_truth(r, weights) == 1 for r in rows)
    assert all(fit_localize.rank_of_truth(r, {"ochiai": 1.0}) == 2 for r in rows)  # SBFL alone: the decoy first
    # Cross-validated by library: every library's ranks come from weights fitted on the others.
    cv = fit_localize.cross_validated([r for r in rows if r["group"] == "train"], ["ochiai", "issue_bm25", "size"])
    assert set(cv) == {r["id"] for r in rows if r["group"] == "train"} and set(cv.values()) == {1.0}


def test_cross_validation_never_scores_a_library_with_its_own_weights():
    fit_localize = _load()
    rows = _table()[:12]  # libraries a, b, c
    # Library "c" alone says the words mislead: fitted on a and b, it is still trusted on c.
    for row in rows:
        if row["library"] == "c":
            row["suspects"][0]["features"]["issue_bm25"] = 0.0
            row["suspects"][1]["features"]["issue_bm25"] = 1.0
    cv = fit_localize.cross_validated(rows, ["ochiai", "issue_bm25"])
    assert all(cv[r["id"]] > 1 for r in rows if r["library"] == "c")


def test_ties_count_at_their_middle_and_a_missing_truth_ranks_last():
    fit_localize = _load()
    row = _fault("a", 0, truth_signal=0.0, decoy_sbfl=0.6)
    assert fit_localize.rank_of_truth(row, {"ochiai": 1.0}) == 1.5
    row["truth"] = ["m.py", "elsewhere"]
    assert fit_localize.rank_of_truth(row, {"ochiai": 1.0}) > 3


def test_main_writes_weights_the_runtime_loads_and_reports_ablation(tmp_path, capsys):
    fit_localize = _load()
    table = tmp_path / "features.jsonl"
    table.write_text("".join(json.dumps(r) + "\n" for r in _table()))
    out = tmp_path / "weights.json"
    assert fit_localize.main(["--table", str(table), "--write-weights", "--weights-out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Ablation" in printed and "held out" in printed and "| fitted combination | 12 |" in printed
    weights, problem = load_fitted(out)
    assert problem is None and set(weights) == set(FEATURES) and weights["issue_bm25"] > 0 and weights["size"] == 0
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert fit_localize.main(["--table", str(empty)]) == 2


def test_a_missing_or_corrupt_weights_file_is_one_sentence_and_the_hand_weights(tmp_path):
    weights, problem = load_fitted(tmp_path / "none.json")
    assert weights is None and "missing" in problem and "hand-set weights" in problem and "\n" not in problem
    for text in ("{not json", json.dumps({"weights": {"ochiai": "high"}}), json.dumps([1, 2]), "\xff\xfe"):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        weights, problem = load_fitted(bad)
        assert weights is None and "hand-set weights" in problem and "Traceback" not in problem


def test_the_shipped_weights_load_and_a_newer_signal_gets_its_hand_weight_on_their_scale():
    weights, problem = load_fitted(WEIGHTS_FILE)
    assert problem is None and weights["ochiai"] > 0
    assert fitted_weight({"ochiai": 2.0}, "issue_bm25") == WEIGHTS["issue_bm25"] * 2.0
    assert fitted_weight({"ochiai": 2.0}, "mutation") == WEIGHTS["mutation"] * 2.0  # not in an older fit
    assert fitted_weight({"ochiai": 2.0}, "churn") == 0.0  # a name no hand weight has (an old fit's dropped feature)
    total, terms = fitted_score({"ochiai": 0.5, "mutation": 0.0, "size": 1.0}, {"ochiai": 2.0, "size": -0.5})
    assert total == 0.5 and set(terms) == {"ochiai", "size"} and terms["size"]["product"] == -0.5


def test_rank_values_share_tied_places():
    assert rank_values({"a": 0.9, "b": 0.5, "c": 0.5, "d": 0.1}) == {"a": 1.0, "b": 1 / 2.5, "c": 1 / 2.5, "d": 0.25}
