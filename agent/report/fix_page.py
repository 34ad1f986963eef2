"""The sections of a fix run's page: what was wrong, where suture looked, every candidate and the gate
that stopped it, the patch it chose and why, and what the model did.

Read from the run's report.json and trajectory.jsonl (agent/fix/pipeline.py writes both); a run that
stopped early has only part of them, and shows that part.
"""

from __future__ import annotations

from typing import Any

from suture.agent.report.page import (CANDIDATE_DIFF_LINES, MODEL_TEXT_CHARS, bar, code_list, diff_block, esc, facts,
                                      fold, heat_cell, number, table, text_block)
from suture.agent.report.record import RunView
from suture.tools.llm.client import head_tail

GATES = {"edit": "edit (did not apply)", "parse": "parse", "risk": "named risk", "selected": "covering tests",
         "suite": "whole suite", "verifier": "bounded verifier", "skipped": "not gated"}


def fix_sections(view: RunView) -> list[tuple[str, str, str]]:
    return [("issue", "Issue and failing tests", issue_section(view)),
            ("localisation", "Where suture looked", localisation_section(view)),
            ("choice", "The patch and its evidence", choice_section(view)),
            ("candidates", f"Candidates ({len(candidate_rows(view))})", candidates_section(view)),
            ("model", "Model turns and cost", model_section(view)),
            ("notes", "Notes", notes_section(view))]


def issue_section(view: RunView) -> str:
    options = view.start.get("options") or {}
    tests = view.report.get("tests") or {}
    localised = view.last("localised")
    failing = tests.get("failing_before") or localised.get("failing") or options.get("failing_tests") or []
    after = tests.get("after") or {}
    parts = [text_block(options.get("issue_text") or "") or "<p>No issue text was given.</p>",
             facts([("Test command", f"<code>{esc(options.get('test_cmd'))}</code>" if options.get("test_cmd") else ""),
                    ("Passing before", esc(tests.get("passing_before", "")))]),
             f"<h3>Failing at the base commit ({len(failing)})</h3>" + (code_list(failing) or "<p>none recorded</p>")]
    for label, names in (("Flaky (left out)", tests.get("flaky") or localised.get("flaky")),
                         ("Hanging", tests.get("hanging") or localised.get("hanging")),
                         ("Fixed by the patch", after.get("fixed")), ("Still failing", after.get("still_failing")),
                         ("Regressions", after.get("regressions"))):
        if names:
            parts.append(f"<h3>{esc(label)} ({len(names)})</h3>" + code_list(names, limit=50))
    reproduction = tests.get("reproduction")
    if reproduction:
        parts.append("<h3>Reproduction test (written by the model, not shipped)</h3>"
                     + facts([(k.replace("_", " "), esc(v)) for k, v in reproduction.items()
                              if isinstance(v, (str, int, float, bool)) and k != "source"])
                     + text_block(str(reproduction.get("source") or "")))
    return "".join(parts)


def localisation_section(view: RunView) -> str:
    localised = view.last("localised")
    ranking = localised.get("ranking") or view.report.get("ranking") or []
    if not ranking:
        return ""
    top = max((float(s.get("score") or 0) for s in ranking), default=0.0)
    rows = []
    for n, suspect in enumerate(ranking, 1):
        score = float(suspect.get("score") or 0)
        rows.append([str(n), f"<code>{esc(suspect.get('symbol'))}</code>",
                     f"<code>{esc(suspect.get('path'))}:{esc(suspect.get('start_line'))}-{esc(suspect.get('end_line'))}</code>",
                     f"{score:.3f}{bar(score, top)}"])
    formula = view.report.get("formula") or "ochiai"
    intro = (f"<p>Functions ranked by the suspiciousness of their lines ({esc(formula)}, from which tests run them), "
             "boosted by the issue text and traceback frames. Shading and bar follow the score; the number is the score.</p>")
    sources = "".join(_source_block(s, top) for s in localised.get("sources") or [])
    return intro + table(["#", "function", "where", "score"], rows, numeric=(0, 3)) + (
        "<h3>Source of the top suspects</h3>" + sources if sources else "")


def _source_block(source: dict[str, Any], top: float) -> str:
    lines = source.get("lines") or []
    line_top = max([float(s) for _, _, s in lines if s is not None] + [top])
    rows = []
    for line_number, text, score in lines:
        style, shown = heat_cell(score, line_top)  # uncovered lines: no shading, no number
        rows.append(f"<tr><td class=num>{esc(line_number)}</td><td class=\"num heat\"{style}>{shown}</td>"
                    f"<td class=heat{style}>{esc(text) or ' '}</td></tr>")
    caption = f"{source.get('path')}: line, suspiciousness score (blank: not run by the failing tests), source"
    return (f"<h3><code>{esc(source.get('symbol'))}</code> <small>{esc(source.get('path'))}</small></h3>"
            f'<div class="scroll"><table class="source"><caption>{esc(caption)}</caption>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def candidate_rows(view: RunView) -> list[dict[str, Any]]:
    """Every candidate in the order it was gated: its proposal (candidate event) with its verdict."""
    proposed: dict[str, dict[str, Any]] = {}
    for event in view.of("candidate"):
        proposed.setdefault(str(event.get("id")), event)
    rows, seen = [], set()
    for verdict in view.of("verdict"):
        cid = str(verdict.get("id"))
        seen.add(cid)
        rows.append({**proposed.get(cid, {}), **verdict, "gated": True})
    rows += [{**event, "gated": False} for cid, event in proposed.items() if cid not in seen]
    return rows


def _engine(row: dict[str, Any]) -> str:
    if row.get("source") == "model":
        return "model"
    return "rules" + (f" ({row['template']})" if row.get("template") else "")


def _outcome(row: dict[str, Any]) -> str:
    if not row.get("gated"):
        return '<span class="warn">not gated (the run stopped first)</span>'
    if row.get("accepted"):
        return '<span class="good">passed every gate</span>'
    stage = str(row.get("stage") or "")
    if row.get("duplicate_of"):
        return f"same code as <code>{esc(row['duplicate_of'])}</code>"
    return f'<span class="bad">stopped at: {esc(GATES.get(stage, stage))}</span>'


def _why(row: dict[str, Any]) -> str:
    """The gate's own sentence; the test lists and the verifier's verdict only when it gave none."""
    message = " ".join(str(row.get("message") or "").split())
    bits = [esc(message)]
    if not message:
        for label in ("regressions", "still_failing"):
            names = row.get(label) or []
            if names:
                bits.append(f"{esc(label.replace('_', ' '))}: " + ", ".join(f"<code>{esc(n)}</code>" for n in names[:5])
                            + (f" and {len(names) - 5} more" if len(names) > 5 else ""))
        if row.get("verifier"):
            bits.append(f"verifier: {esc(str(row['verifier']).replace('_', ' '))}")
    bits += [f"anti-pattern: {esc(a.get('name'))}" for a in row.get("anti_patterns") or [] if isinstance(a, dict)]
    return "; ".join(b for b in bits if b)


def candidates_section(view: RunView) -> str:
    rows = candidate_rows(view)
    if not rows:
        return "<p>No candidate was proposed.</p>"
    chosen = _chosen_id(view)
    out = ['<div class="scroll"><table><thead><tr><th scope="col" class=num>#</th><th scope="col">candidate</th>'
           '<th scope="col">engine</th><th scope="col">outcome</th><th scope="col">why</th>'
           '<th scope="col" class=num>s</th></tr></thead><tbody>']
    for n, row in enumerate(rows, 1):
        cid = esc(row.get("id"))
        mark = " <strong>(chosen)</strong>" if chosen and str(row.get("id")) == chosen else ""
        what = f"<code>{cid}</code>{mark}<br>{esc(row.get('description'))}"
        diff = fold("diff", diff_block(row.get("diff") or "", f"diff of {row.get('id')}", CANDIDATE_DIFF_LINES))
        out.append(f'<tr id="cand-{cid}"><td class=num>{n}</td><td>{what}{diff}</td><td>{esc(_engine(row))}</td>'
                   f"<td>{_outcome(row)}</td><td class=why>{_why(row)}</td>"
                   f"<td class=num>{number(row.get('seconds'), 1)}</td></tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _chosen_id(view: RunView) -> str:
    return str((view.report.get("choice") or {}).get("chosen") or (view.last("choice").get("chosen") or ""))


def choice_section(view: RunView) -> str:
    report = view.report
    chosen = _chosen_id(view)
    if report.get("patch"):
        head = f"<p>Delivered patch <code>{esc(chosen)}</code> ({esc(report.get('engine'))}): it passes every gate.</p>"
        patch = report["patch"]
    elif (report.get("plausible") or {}).get("patch"):
        head = (f"<p class=warn>Plausible patch <code>{esc(chosen)}</code>: it passes every gate, but its evidence is "
                "weak, so it is shown and not claimed as a fix.</p>")
        patch = report["plausible"]["patch"]
    elif (report.get("best_partial") or {}).get("patch"):
        head = "<p class=bad>No candidate passed every gate. The closest one (it does NOT pass):</p>"
        patch = report["best_partial"]["patch"]
    else:
        reason = report.get("stopped_because") or (view.last("error").get("message")) or "the run ended without one"
        return f"<p class=bad>No patch: {esc(reason)}.</p>"
    parts = [head, diff_block(patch, "the chosen patch"), text_block(report.get("explanation") or "")]
    parts.append(_confidence(report))
    verdict = next((v for v in view.of("verdict") if str(v.get("id")) == chosen), {})
    covering = verdict.get("selected_tests") or []
    if covering:
        parts.append(fold(f"The {len(covering)} covering test(s) the patch was judged on",
                          code_list(covering, limit=50)))
    parts.append(_verification(report.get("verification") or {}))
    parts.append(_evidence(report, chosen))
    risks = report.get("risks") or []
    anti = [a for e in report.get("evidence") or [] if e.get("candidate_id") == chosen for a in e.get("anti_patterns") or []]
    if risks or anti:
        parts.append("<h3>Risks</h3><ul class=plain>" + "".join(f"<li>{esc(r)}</li>" for r in risks)
                     + "".join(f"<li>anti-pattern {esc(a.get('name'))}: {esc(a.get('detail'))}</li>"
                               for a in anti if isinstance(a, dict)) + "</ul>")
    return "".join(parts)


def _confidence(report: dict[str, Any]) -> str:
    confidence = report.get("confidence") or {}
    choice = report.get("choice") or {}
    if not confidence:
        return ""
    value = float(confidence.get("value") or 0)
    return ("<h3>Confidence</h3>" + facts([
        ("Confidence", f"{value:.2f} of 1{' (weak)' if confidence.get('weak') else ''}{bar(value, 1.0)}"),
        ("Covering tests", esc(confidence.get("covering_tests"))),
        ("Verifier", esc(str(confidence.get("verifier") or "").replace("_", " "))),
        ("Agreement", number(confidence.get("agreement"), 2)),
        ("Chosen by", esc(choice.get("method"))),
        ("Distinct passing patches", esc(choice.get("distinct_passing"))),
        ("Votes", esc(choice.get("votes")))])
        + ("<ul class=plain>" + "".join(f"<li>{esc(r)}</li>" for r in confidence.get("reasons") or []) + "</ul>"))


def _verification(verification: dict[str, Any]) -> str:
    if not verification:
        return ""
    rows = [[f"<code>{esc(f.get('function'))}</code>", esc(str(f.get("verdict") or "").replace("_", " ")),
             esc(f.get("message"))] for f in verification.get("functions") or [] if isinstance(f, dict)]
    regressions = [[f"<code>{esc(r.get('candidate'))}</code>", f"<code>{esc(r.get('function'))}</code>",
                    esc(r.get("inputs")), esc(r.get("message"))] for r in verification.get("regression_tests") or []]
    return ("<h3>Bounded verifier</h3>" + facts([
        ("Verdict", esc(str(verification.get("verdict") or "").replace("_", " "))),
        ("Said", esc(verification.get("message") or verification.get("reason"))),
        ("Seconds", number(verification.get("seconds"), 1))])
        + table(["function", "verdict", "message"], rows)
        + table(["rejected candidate", "function", "counterexample inputs", "message"], regressions,
                caption="Counterexamples that turned candidates down"))


def _evidence(report: dict[str, Any], chosen: str) -> str:
    """Behaviour outside the tests (agent/fix/evidence.py): each distinct passing patch's footprint, and where
    the chosen one and its rivals disagree, with the input that would decide between them."""
    evidence = [e for e in report.get("evidence") or [] if isinstance(e, dict)]
    if not evidence:
        return ""
    rows, deciding = [], []
    for item in evidence:
        cid = str(item.get("candidate_id"))
        rows.append([f"<code>{esc(cid)}</code>{' (chosen)' if cid == chosen else ''}", esc(item.get("status")),
                     esc(item.get("summary"))])
        for d in item.get("disagreements") or []:
            deciding.append([f"<code>{esc(cid)}</code> vs <code>{esc(d.get('other'))}</code>",
                             f"<code>{esc(d.get('call'))}</code>", esc(d.get("mine")), esc(d.get("theirs")),
                             esc(d.get("inputs"))])
    return ("<h3>Behaviour outside the tests</h3>" + table(["patch", "compared", "footprint against the base"], rows)
            + ("<h3>Rivals disagree: the deciding inputs</h3><p>A test on one of these inputs would tell the rivals "
               "apart.</p>" + table(["patches", "deciding input", "first answers", "second answers", "inputs"],
                                    deciding, numeric=(4,)) if deciding else ""))


def model_section(view: RunView) -> str:
    turns = view.of("model")
    cost = view.report.get("cost") or {}
    planner = view.report.get("planner") or {}
    if not turns and not cost.get("calls"):
        return ""
    rows = []
    for n, turn in enumerate(turns, 1):
        usage = turn.get("usage") or {}
        calls = [((c.get("function") or {}).get("name")) for c in turn.get("tool_calls") or [] if isinstance(c, dict)]
        said = fold("reply", text_block(head_tail(str(turn.get("text") or ""), MODEL_TEXT_CHARS)))
        rows.append([str(n), esc(turn.get("model")), esc(usage.get("prompt_tokens")), esc(usage.get("completion_tokens")),
                     number(turn.get("cost_usd"), 4) if turn.get("cost_known", True) else "unknown",
                     ", ".join(f"<code>{esc(c)}</code>" for c in calls if c) + said])
    return (facts([("Model", esc(planner.get("model") or (view.start.get("options") or {}).get("model"))),
                   ("Calls", esc(cost.get("calls"))), ("Tokens", esc(cost.get("tokens"))),
                   ("Cost (USD)", number(cost.get("usd"), 4)), ("Planner stopped", esc(planner.get("stopped_because")))])
            + table(["turn", "model", "prompt tokens", "completion tokens", "USD", "tool calls"], rows,
                    numeric=(0, 2, 3, 4)))


def notes_section(view: RunView) -> str:
    report = view.report
    notes = [str(n) for n in report.get("notes") or []]
    notes += [f"candidate {b.get('candidate')} {b.get('reason')}" for b in report.get("blocked") or [] if isinstance(b, dict)]
    notes += [str(e.get("message")) for e in view.of("error")]
    if report.get("stopped_because"):
        notes.insert(0, f"stopped because {report['stopped_because']}")
    return "<ul class=plain>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>" if notes else ""
