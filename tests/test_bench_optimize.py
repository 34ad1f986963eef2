"""bench/bench_optimize.py's --batch path (issue 22): the slow corpus through `suture batch`, each case's
result made from its report in results.jsonl as the one-at-a-time path makes it from the single command's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_optimize.py"


def test_a_case_runs_as_a_task_of_suture_batch_and_is_judged_from_its_report(tmp_path):
    # merge_meetings needs a new algorithm: no offline rule applies, so the run is short and its verdict
    # is fixed (no timing decides it).
    rows = tmp_path / "rows.json"
    done = subprocess.run([sys.executable, str(BENCH), "--cases", "merge_meetings", "--batch", "--workers", "1",
                           "--rounds", "3", "--no-write", "--rows", str(rows)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [result] = json.loads(rows.read_text())
    assert result["name"] == "merge_meetings" and result["status"] == "no_significant_speedup", result
    assert result["exit_code"] == 1 and result["speedup"] == 1.0 and result["behaviour_changed"] is None
    assert "Through `suture batch --workers 1`." in done.stdout
    assert "| merge_meetings | needs-algorithm-change | none | no_significant_speedup | 1.00x |" in done.stdout
