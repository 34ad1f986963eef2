"""The sections of an optimize run's page: the profile's hot spots, each kept edit with its timing plot,
instruction-count ratio and equivalence verdicts, every candidate and the gate that stopped it, and
the stacked patch (agent/optimize/report.py writes what is read here)."""

from __future__ import annotations

from typing import Any

from suture.agent.report.fix_page import notes_section
from suture.agent.report.page import CANDIDATE_DIFF_LINES, code_list, diff_block, esc, facts, fold, number, table
from suture.agent.report.plot import speedup_plot
from suture.agent.report.record import RunView

# What optimize's stages mean as gates ("measured": through the tests and the replay, lost on the clock).
STAGES = {"measured": "timing", "accepted": "kept"}


def optimize_sections(view: RunView) -> list[tuple[str, str, str]]:
    candidates = _candidates(view)
    return [("target", "What was timed", target_section(view)),
            ("hotspots", "Hot spots", hotspots_section(view)),
            ("edits", "Kept edits", edits_section(view)),
            ("candidates", f"Candidates ({len(candidates)})", candidates_section(candidates)),
            ("patch", "The patch", diff_block(view.report.get("patch") or "", "the stacked patch")),
            ("notes", "Notes", notes_section(view))]


def target_section(view: RunView) -> str:
    options = view.start.get("options") or {}
    tests = view.report.get("tests") or {}
    benches = view.report.get("benches") or []
    summary = view.report.get("summary") or {}
    rows = [[f"<code>{esc(t.get('target'))}</code>", f"{float(t.get('speedup') or 1):.2f}x",
             "yes" if t.get("optimized") else "no"] for t in summary.get("targets") or []]
    return (facts([("Targets", code_list(options.get("targets") or ([options["target"]] if options.get("target") else []))),
                   ("Bench command", f"<code>{esc(options.get('bench_cmd'))}</code>" if options.get("bench_cmd") else ""),
                   ("Workloads", code_list(f"{b.get('target') or b.get('command')}: {b.get('workload')} at scale {b.get('scale')}"
                                           for b in benches if isinstance(b, dict) and b.get("workload"))),
                   ("Timing rounds", esc(options.get("rounds"))),
                   ("Tests", esc(tests.get("note") or (f"{tests.get('passing_before')} passing at the base"
                                                       if tests.get("passing_before") is not None else "")))])
            + table(["target", "speed-up", "significant"], rows, numeric=(1,),
                    caption=(f"{float(summary.get('optimized_share') or 0) * 100:.0f}% of targets optimized, mean "
                             f"speed-up {float(summary.get('mean_speedup') or 1):.2f}x") if rows else ""))


def hotspots_section(view: RunView) -> str:
    rounds = view.report.get("hotspots") or [{k: e.get(k) for k in ("bench", "round", "hotspots")}
                                             for e in view.of("hotspots")]
    parts = []
    for entry in rounds:
        spots = [h for h in entry.get("hotspots") or [] if isinstance(h, dict)]
        keys = [k for k in ("path", "function", "start_line", "share", "own_seconds", "cumulative_seconds", "calls",
                            "lines") if any(k in h for h in spots)]
        rows = [[_cell(k, h.get(k)) for k in keys] for h in spots]
        headings = [HOTSPOT_HEADINGS.get(k, k) for k in keys]
        parts.append(f"<h3>{esc(entry.get('bench'))}, profile of round {esc(entry.get('round'))}</h3>"
                     + (table(headings, rows, numeric=[i for i, k in enumerate(keys) if k not in ("path", "function", "lines")])
                        or "<p>The profile showed no function of the repository.</p>"))
    return "".join(parts)


HOTSPOT_HEADINGS = {"start_line": "line", "share": "share of the time", "own_seconds": "own s",
                    "cumulative_seconds": "with callees s", "lines": "costliest lines (share of its samples)"}


def _cell(key: str, value: Any) -> str:
    if key in ("path", "function"):
        return f"<code>{esc(value)}</code>"
    if key == "lines":  # tools/perf/lines.py: [{line, share, text}]
        return "<br>".join(f"{esc(r.get('line'))}: {float(r.get('share') or 0) * 100:.0f}% <code>{esc(r.get('text'))}</code>"
                           for r in value or () if isinstance(r, dict))
    if isinstance(value, float):
        return f"{value * 100:.1f}%" if key == "share" else f"{value:.4g}"
    return esc(value)


def edits_section(view: RunView) -> str:
    edits = view.report.get("edits") or []
    if not edits:
        return f"<p>No edit was kept: {esc(view.report.get('stopped_because') or view.status.replace('_', ' '))}.</p>"
    return "".join(_edit(edit) for edit in edits if isinstance(edit, dict))


def _edit(edit: dict[str, Any]) -> str:
    where = f"{edit.get('path')}::{edit.get('function')}"
    speedup, low, high = (float(edit.get(k) or 0) for k in ("speedup", "ci_low", "ci_high"))
    threshold = float(edit.get("threshold") or 1.05)
    ratio = edit.get("instructions_ratio")
    equivalence = edit.get("equivalence") or {}
    return (f"<h3>{esc(edit.get('description') or edit.get('rule'))} <small><code>{esc(where)}</code></small></h3>"
            + facts([("Speed-up", f"<strong>{speedup:.2f}x</strong> (median of interleaved rounds)"),
                     ("95% interval", f"{low:.2f}x to {high:.2f}x (bootstrap; kept because it clears {threshold:.2f}x)"),
                     ("Time per run", f"{number(edit.get('baseline_seconds'), 6)} s before, "
                                      f"{number(edit.get('candidate_seconds'), 6)} s after"
                                      if edit.get("baseline_seconds") is not None else ""),
                     ("Instruction count", f"{float(ratio):.2f}x fewer instructions (callgrind)" if ratio else
                      "not counted (valgrind absent or switched off)"),
                     ("Callgrind", "disagrees with the clock" if edit.get("callgrind_disagrees") else ""),
                     ("Equivalence", esc(", ".join(f"{k}: {str(v).replace('_', ' ')}"
                                                   for k, v in equivalence.items() if v)))])
            + speedup_plot(edit.get("ratios") or [], speedup, low, high, threshold, where)
            + fold("diff of this edit", diff_block(edit.get("diff") or "", f"diff of {where}")))


def _candidates(view: RunView) -> list[dict[str, Any]]:
    from_events = view.of("candidate")  # the trajectory's carry the diffs
    final = [c for c in view.report.get("candidates") or [] if isinstance(c, dict)]
    # ... as each was judged: the round decides later which one it keeps (and the verifier may refute it
    # then), so the report's outcome wins over the event's.
    by_id = {c.get("id"): c for c in final}
    return [{**event, **by_id.get(event.get("id"), {})} for event in from_events] or final


def candidates_section(candidates: list[dict[str, Any]]) -> str:
    rows = []
    for n, c in enumerate(candidates, 1):
        if c.get("accepted"):
            outcome = '<span class="good">kept</span>'
        else:
            stage = str(c.get("stage") or "")
            outcome = f'<span class="bad">stopped at: {esc(STAGES.get(stage, stage))}</span>'
        timing = (f"{float(c['speedup']):.2f}x ({float(c.get('ci_low') or 0):.2f} to {float(c.get('ci_high') or 0):.2f})"
                  if c.get("speedup") is not None else "")
        what = (f"<code>{esc(c.get('id'))}</code> {esc(c.get('source'))}<br>{esc(c.get('description'))}"
                + fold("diff", diff_block(c.get("diff") or "", f"diff of {c.get('id')}", CANDIDATE_DIFF_LINES)))
        rows.append([str(n), what, ", ".join(f"<code>{esc(f)}</code>" for f in c.get("functions") or []), outcome,
                     esc(" ".join(str(c.get("reason") or "").split())), timing])
    return table(["#", "candidate", "functions", "outcome", "why", "speed-up (95% interval)"], rows, numeric=(0,))

