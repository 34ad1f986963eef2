"""An inline SVG of one kept edit's timing: the speed-up ratio of every interleaved round, the median,
its bootstrap 95% interval, and the significance line (1.05, or 1.15 for very short calls).

The y axis is logarithmic (ratios: 0.5x and 2x sit as far from 1x); every mark is also said in
words (the SVG's title and description, and the figure's caption), so it reads without colour
or sight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from suture.agent.report.page import esc

WIDTH, HEIGHT = 600, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 36
NICE = (1, 1.5, 2, 3, 5, 7)


def speedup_plot(ratios: Sequence[float | None], median: float, ci_low: float, ci_high: float, threshold: float,
                 label: str) -> str:
    """The figure (svg and caption) for one edit; "" without a finite ratio to plot."""
    points = [r for r in ratios if r is not None and math.isfinite(r) and r > 0]
    if not points:
        return ""
    values = points + [v for v in (median, ci_low, ci_high, threshold, 1.0) if v and v > 0 and math.isfinite(v)]
    low, high = math.log10(min(values) / 1.15), math.log10(max(values) * 1.15)

    def y(value: float) -> float:
        return TOP + (high - math.log10(value)) / (high - low) * (HEIGHT - TOP - BOTTOM)

    def x(index: int) -> float:
        span = WIDTH - LEFT - RIGHT
        return LEFT + (span / 2 if len(points) == 1 else span * index / (len(points) - 1))

    parts = [_axes(y, low, high, len(points))]
    if ci_low and ci_high and ci_low > 0:  # the interval as a band behind the points
        parts.append(f'<rect x="{LEFT}" y="{y(ci_high):.1f}" width="{WIDTH - LEFT - RIGHT}" '
                     f'height="{max(1.0, y(ci_low) - y(ci_high)):.1f}" fill="#1f5fa8" fill-opacity="0.15"/>')
    if threshold and threshold > 0:
        parts.append(_hline(y(threshold), "#a1261b", "6 4", f"{threshold:.2f}x needed"))
    if median and median > 0:
        parts.append(_hline(y(median), "#1f5fa8", "", f"median {median:.2f}x"))
    parts += [f'<circle cx="{x(i):.1f}" cy="{y(r):.1f}" r="4" fill="#1b1b1b"><title>round {i + 1}: {r:.3f}x</title></circle>'
              for i, r in enumerate(points)]
    words = (f"{label}: {len(points)} rounds, speed-up ratios from {min(points):.2f}x to {max(points):.2f}x; "
             f"median {median:.2f}x, bootstrap 95% interval {ci_low:.2f}x to {ci_high:.2f}x; "
             f"significant above {threshold:.2f}x.")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{esc(words)}" font-family="sans-serif" font-size="11"><title>{esc(words)}</title>'
           + "".join(parts) + "</svg>")
    caption = (f"Per-round speed-up (baseline time / candidate time, log scale): dots are rounds, the blue line "
               f"the median ({median:.2f}x), the band its bootstrap 95% interval ({ci_low:.2f}x to {ci_high:.2f}x), "
               f"the dashed red line the {threshold:.2f}x a kept edit's interval must clear.")
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def _hline(y: float, colour: str, dash: str, label: str) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="2"{dashed}/>'
            f'<text x="{WIDTH - RIGHT - 4}" y="{y - 4:.1f}" text-anchor="end" fill="{colour}">{esc(label)}</text>')


def _axes(y, low: float, high: float, rounds: int) -> str:
    bottom = HEIGHT - BOTTOM
    parts = [f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" stroke="#555"/>',
             f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" stroke="#555"/>',
             f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle" fill="#333">'
             f"timing round (1 to {rounds})</text>"]
    for tick in _ticks(low, high):
        ty = y(tick)
        parts.append(f'<line x1="{LEFT - 4}" x2="{LEFT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#555"/>'
                     f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="#333">{tick:g}x</text>')
    return "".join(parts)


def _ticks(low: float, high: float) -> list[float]:
    """Round values (1, 1.5, 2, 3, 5, 7 times a power of ten) inside the axis, at most about eight."""
    found = [m * 10 ** e for e in range(math.floor(low) - 1, math.ceil(high) + 1) for m in NICE]
    inside = [t for t in found if low <= math.log10(t) <= high]
    step = max(1, math.ceil(len(inside) / 8))
    return inside[::step]
