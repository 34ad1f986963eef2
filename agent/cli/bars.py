"""Per-edit speed-up bars and hot lines for the terminal: plain characters, no colour, so they read the same in a
pipe, a CI log or a screen reader's text as on a TTY.

One line per kept edit on one shared log-scale axis from 1x to just above the largest upper bound:
`=` runs from 1x to the median speed-up, `[` and `]` mark the 95% interval and `#` the median, `:`
the significance threshold (when it falls inside the bar). A header line names the axis' ends.
"""

from __future__ import annotations

import math
from typing import Any

BAR_WIDTH = 40


def speedup_bars(edits: list[dict[str, Any]], width: int = BAR_WIDTH) -> list[str]:
    """The bar lines of `edits` (optimize's report edits: speedup, ci_low, ci_high, threshold); [] when none was timed."""
    timed = [e for e in edits if e.get("speedup") and e.get("ci_low") and e.get("ci_high")]
    if not timed:
        return []
    top = max(max(e["ci_high"], e["speedup"]) for e in timed) * 1.1
    top = max(top, 1.2)
    labels = [f"{e.get('path', '?')}::{e.get('function', '?')}" for e in timed]
    title = "speed-up per kept edit"
    pad = max(len(title), min(max(len(label) for label in labels), 48))

    def column(value: float) -> int:
        value = min(max(value, 1.0), top)
        return min(width - 1, int(round(math.log(value) / math.log(top) * (width - 1))))

    lines = [f"{title:<{pad}}  1x{' ' * (width - 2)}{_short(top)}  (log scale)"]
    for label, edit in zip(labels, timed):
        cells = [" "] * width
        low, mid, high = column(edit["ci_low"]), column(edit["speedup"]), column(edit["ci_high"])
        # An interval narrower than a cell still shows both brackets beside the median, never under it.
        mid = min(max(mid, 1), width - 2)
        low, high = min(low, mid - 1), max(high, mid + 1)
        for i in range(mid):
            cells[i] = "="
        threshold = edit.get("threshold")
        if threshold and 1.0 < threshold < top and cells[column(threshold)] == " ":
            cells[column(threshold)] = ":"
        cells[low], cells[high] = "[", "]"
        cells[mid] = "#"
        lines.append(f"{_fit(label, pad):<{pad}} |{''.join(cells)}| {edit['speedup']:.2f}x "
                     f"(95% CI {edit['ci_low']:.2f}-{edit['ci_high']:.2f})")
    return lines


def _short(value: float) -> str:
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else "..." + text[-(width - 3):]


def hot_line_lines(rounds: list[dict[str, Any]], functions: int = 2) -> list[str]:
    """The first profile's costliest lines of its hottest functions (tools/perf/lines.py), for the terminal."""
    first = next((r for r in rounds if r.get("hotspots")), None)
    if first is None:
        return []
    lines = []
    for spot in first["hotspots"][:functions]:
        rows = spot.get("lines") or []
        if rows:
            lines.append(f"hot lines of {spot['path']}::{spot['function']} (share of its samples):")
            lines.extend(f"  {spot['path']}:{r['line']:<5} {r['share'] * 100:3.0f}%  {_fit(r['text'], 100)}" for r in rows)
    return lines
