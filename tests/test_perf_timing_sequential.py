"""Sequential rounds in tools/perf/timing.compare: a CI straddling the bar grows to `extend_to` rounds, once.

Real processes that REPORT scripted per-call times through the timing protocol (a counter file picks each
run's time), so the statistics are deterministic and nothing depends on this machine's speed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from suture.tools.perf.timing import THRESHOLD, Runner, compare

# Each run reports the next time of TIMES (cycling), counted in a file beside the script.
SCRIPTED = """
import json, os, sys
from pathlib import Path
times = [float(t) for t in sys.argv[1].split(",")]
counter = Path(sys.argv[2])
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
calls = int(os.environ.get("SUTURE_HARNESS_CALLS", "1"))
print("same")
print(json.dumps({"suture_timing": [times[n % len(times)]] * calls}))
"""


def scripted(tmp_path: Path, name: str, times: list[float]) -> Runner:
    path = tmp_path / "scripted.py"
    path.write_text(SCRIPTED)
    return Runner([sys.executable, str(path), ",".join(map(repr, times)), str(tmp_path / f"{name}.count")], tmp_path)


def test_a_straddling_interval_gets_more_rounds_and_a_clear_one_does_not(tmp_path):
    base = scripted(tmp_path, "base", [0.1])
    # The first run of each side is the warm-up; then ratios near 1.06 with spread: after 4 rounds the
    # interval holds the 1.05 bar, 4 more tight ones lift its lower end over it.
    near = [0.1 / r for r in (1.0, 1.0, 1.12, 1.07, 1.06, 1.07, 1.08, 1.09, 1.08)]
    plain = compare(base, scripted(tmp_path, "near_plain", near), rounds=4, seed=0)
    assert plain.rounds == 4 and len(plain.ratios) == 4
    assert plain.ci_low < THRESHOLD <= plain.ci_high and not plain.significant
    grown = compare(base, scripted(tmp_path, "near_grown", near), rounds=4, seed=0, extend_to=8)
    assert grown.rounds == 8 and len(grown.ratios) == 8
    assert grown.significant and grown.ci_low >= THRESHOLD  # the same bar, more power
    # Far from the bar either way: the comparison stops at `rounds`.
    fast = compare(base, scripted(tmp_path, "fast", [0.05]), rounds=4, seed=0, extend_to=8)
    same = compare(base, scripted(tmp_path, "same", [0.1]), rounds=4, seed=0, extend_to=8)
    assert fast.rounds == 4 and fast.significant
    assert same.rounds == 4 and not same.significant

