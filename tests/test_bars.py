"""The terminal's per-edit speed-up bars (agent/cli/bars.py): plain characters a reader can trust."""

from __future__ import annotations

import re

from suture.agent.cli.bars import speedup_bars


def cells(line: str) -> str:
    return re.search(r"\|(.*)\| ", line).group(1)


def test_an_interval_narrower_than_a_cell_still_shows_both_brackets_beside_the_median():
    # 40.1x (40.0-40.2) beside a 400x edit: on a shared log axis all three fall in one cell; the median
    # once overwrote both brackets, so the line showed no interval at all.
    edits = [{"path": "a.py", "function": "f", "speedup": 40.1, "ci_low": 40.0, "ci_high": 40.2, "threshold": 1.05},
             {"path": "a.py", "function": "g", "speedup": 400.0, "ci_low": 390.0, "ci_high": 410.0}]
    for line in speedup_bars(edits)[1:]:
        bar = cells(line)
        assert bar.count("[") == 1 and bar.count("]") == 1 and bar.count("#") == 1, line
        assert bar.index("[") < bar.index("#") < bar.index("]"), line
        assert "95% CI" in line


def test_a_wide_interval_is_drawn_where_its_ends_fall():
    [_, line] = speedup_bars([{"path": "a.py", "function": "f", "speedup": 4.0, "ci_low": 2.0, "ci_high": 8.0}])
    bar = cells(line)
    assert bar.index("[") < bar.index("#") - 1 and bar.index("]") > bar.index("#") + 1, line
    assert set(bar[:bar.index("[")]) == {"="}  # the bar runs from 1x to the median
