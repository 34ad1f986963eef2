"""The sections of a `suture check` run's page: what the pre-commit check looked at, each finding with
its evidence (the failing test and where it failed, the contract's counterexample, the syntax error)
beside the changed function's source with the commit's lines marked, and what went unchecked and why.

Read from the check's run record (agent/integrations/check/record.py): report.json is the check's
JSON report, the trajectory's "sources" event the changed functions' source.
"""

from __future__ import annotations

from typing import Any

from suture.agent.report.page import code_list, esc, facts, number, table, text_block
from suture.agent.report.record import RunView

KINDS = {"parse": "syntax error", "test": "breaks a covering test", "contract": "violates its contract"}
# Shades of a marked line (their word is in the column beside them, so they read without colour).
CHANGED_SHADE, FINDING_SHADE = 0.22, 0.6


def check_sections(view: RunView) -> list[tuple[str, str, str]]:
    findings = view.report.get("findings") or []
    sources = view.last("sources").get("sources") or []
    shown: set[tuple[str, str]] = set()
    return [("checked", "What was checked", checked_section(view)),
            ("findings", f"Findings ({len(findings)})", findings_section(findings, sources, shown, view.status)),
            ("unchecked", "Skipped or incomplete", unchecked_section(view.report)),
            ("source", "Changed code", "".join(_source_block(s) for s in sources
                                               if (s.get("path"), s.get("symbol")) not in shown))]


def checked_section(view: RunView) -> str:
    report = view.report
    tests = report.get("tests") or {}
    files = report.get("files") or view.start.get("files") or []
    changed = report.get("changed") or []
    parts = [facts([("Time cap", number(report.get("time_cap"), 1, " s")),
                    ("Staged Python files", str(len(files))),
                    ("Changed functions", str(len(changed)) if changed or files else ""),
                    ("Coverage map", esc(tests.get("coverage_map", ""))),
                    ("Covering tests selected", esc(tests.get("selected", ""))),
                    ("Covering tests passed", f"{esc(tests.get('passed'))} of {esc(tests.get('ran'))} run"
                                              if "ran" in tests else "")])]
    if files:
        parts.append(f"<h3>Staged files ({len(files)})</h3>" + code_list(files, limit=100))
    if changed:
        parts.append(f"<h3>Changed functions ({len(changed)})</h3>" + table(
            ["function", "where"], ([f"<code>{esc(u.get('symbol'))}</code>",
                                     f"<code>{esc(u.get('path'))}:{esc(u.get('line'))}</code>"] for u in changed[:200])))
    selected = tests.get("selected_ids") or []
    if selected:
        failed = set(tests.get("failed_staged") or [])
        parts.append(f"<h3>Covering tests run on the staged snapshot ({len(selected)})</h3>" + table(
            ["test", "on the staged snapshot"],
            ([f"<code>{esc(t)}</code>", '<span class="bad">failed</span>' if t in failed else "passed"]
             for t in selected[:200])))
    verified = report.get("verifier") or []
    if verified:
        parts.append("<h3>Bounded verifier (functions with contracts)</h3>" + table(
            ["function", "verdict", "seconds", "message"],
            ([f"<code>{esc(v.get('path'))}::{esc(v.get('symbol'))}</code>", esc(str(v.get("verdict", "")).replace("_", " ")),
              number(v.get("seconds"), 2), esc(v.get("message"))] for v in verified), numeric=(2,)))
    return "".join(parts)


def findings_section(findings: list[dict[str, Any]], sources: list[dict[str, Any]], shown: set[tuple[str, str]],
                     status: str) -> str:
    if not findings:
        return {"nothing_to_check": "", "incomplete": "<p>No findings in what was checked before the time cap: "
                "see what went unchecked below.</p>"}.get(status, "<p>No findings: nothing in the staged changes "
                                                             "blocks the commit.</p>")
    parts = []
    for n, finding in enumerate(findings, 1):
        kind = str(finding.get("kind") or "")
        where = f"{finding.get('path')}:{finding.get('line')}"
        symbol = finding.get("symbol") or ""
        inputs = finding.get("inputs") or {}
        parts.append(
            f'<article id="finding-{n}"><h3>{n}. <code>{esc(where)}</code> '
            f"{f'<code>{esc(symbol)}</code> ' if symbol else ''}{esc(KINDS.get(kind, kind))}</h3>"
            + facts([("Failing test", f"<code>{esc(finding.get('test'))}</code> (passes at HEAD)" if finding.get("test") else ""),
                     ("Failed at", f"<code>{esc(finding.get('test_location'))}</code>" if finding.get("test_location") else "")])
            + text_block(str(finding.get("message") or ""))
            + (table(["argument", "value"], ([f"<code>{esc(k)}</code>", f"<code>{esc(v)}</code>"] for k, v in inputs.items()),
                     caption="The counterexample: the staged function breaks its contract on these inputs")
               if inputs else ""))
        key = (finding.get("path"), symbol or "(file)")
        source = next((s for s in sources if (s.get("path"), s.get("symbol")) == key), None)
        if source is not None:
            shown.add(key)
            parts.append(_source_block(source))
        parts.append("</article>")
    return "".join(parts)


def unchecked_section(report: dict[str, Any]) -> str:
    tests = report.get("tests") or {}
    parts = []
    if report.get("incomplete"):
        unchecked = report.get("unchecked") or []
        parts.append(f"<p><strong>The check is incomplete</strong>: it stopped at its time cap of "
                     f"{number(report.get('time_cap'), 1, ' s')} before {esc(report.get('stopped_before'))}; "
                     f"{len(unchecked)} changed function(s) or file(s) went unchecked (raise the cap with "
                     "<code>--time-cap</code>).</p>" + code_list(unchecked, limit=100))
    for label, names in (("Test modules not in the coverage map yet", tests.get("unmapped_modules")),
                         ("Tests the time cap cut off, not in the coverage map yet", tests.get("cut_tests"))):
        if names:
            parts.append(f"<h3>{esc(label)} ({len(names)})</h3><p>A change only these reach goes unnoticed until "
                         "a later check maps them.</p>" + code_list(names, limit=50))
    for label, said in (("Warnings", report.get("warnings")), ("Notes", report.get("notes"))):
        if said:
            parts.append(f"<h3>{label}</h3><ul class=\"plain\">" + "".join(f"<li>{esc(s)}</li>" for s in said) + "</ul>")
    return "".join(parts) or "<p>Nothing was skipped: every changed function was checked within the time cap.</p>"


def _source_block(source: dict[str, Any]) -> str:
    marked = set(source.get("finding_lines") or [])
    rows = []
    for line_number, text, changed in source.get("lines") or []:
        mark = "finding" if line_number in marked else "changed" if changed else ""
        shade = FINDING_SHADE if mark == "finding" else CHANGED_SHADE if mark else 0.0
        style = f' style="--a:{shade:.2f}"' if shade else ""
        rows.append(f"<tr><td class=num>{esc(line_number)}</td><td class=heat{style}>{mark}</td>"
                    f"<td class=heat{style}>{esc(text) or ' '}</td></tr>")
    side = "the staged version" if source.get("side") == "staged" else "the HEAD version (gone from the staged one)"
    caption = (f"{source.get('path')}, {side}: line, mark (changed: a line of this commit; finding: "
               "where the finding points), source")
    return (f"<h3><code>{esc(source.get('symbol'))}</code> <small>{esc(source.get('path'))}</small></h3>"
            f'<div class="scroll"><table class="source"><caption>{esc(caption)}</caption>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")
