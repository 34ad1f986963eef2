"""The frame and the small pieces every report page is built from.

Every string that came from a repository or a model (an issue text, a test name, a diff, a
model's reply) reaches the page only through `esc` (the standard library's html.escape, quotes
too): markup below is written by this package alone. The page has no script, fetches nothing
(its Content-Security-Policy forbids both, so even a slip in the escaping could not run or load
anything), and is readable in a narrow window: tables and code scroll sideways on their own.
Shading always comes with its number, so it reads without colour.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

CANDIDATE_DIFF_LINES = 300  # of one candidate's diff on the page; the chosen patch is shown whole
MODEL_TEXT_CHARS = 20_000  # of one model reply

# No script, no fetch of any kind; inline styles and inline SVG only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #555; --line: #ccc; --good: #1a6b35; --bad: #a1261b;
  --warn: #7a4d00; --add: #e6f4ea; --del: #fbe9e7; --heat: 214, 94, 0; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
header, main, footer, nav { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin-bottom: .25rem; overflow-wrap: anywhere; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 30rem) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .3rem; } }
.status { display: inline-block; padding: .05rem .5rem; border: 2px solid currentColor; border-radius: .3rem; font-weight: 700; }
.good { color: var(--good); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.why { overflow-wrap: anywhere; min-width: 12rem; }
li code, dd code, p code, h3 code { overflow-wrap: anywhere; }
pre, code { font: .875rem/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
pre { margin: .25rem 0; padding: .5rem; background: #f7f7f7; border: 1px solid var(--line); overflow-x: auto; }
pre.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.diff span { display: block; }
.diff .add { background: var(--add); } .diff .del { background: var(--del); } .diff .hunk { color: var(--muted); }
table.source td { border: 0; padding: 0 .5rem; white-space: pre; font: .875rem/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
table.source td.num { color: var(--ink); }
table.source caption { text-align: left; font-size: .85rem; color: var(--muted); }
.heat { background: rgba(var(--heat), var(--a, 0)); }
.bar { display: inline-block; height: .7rem; background: rgb(var(--heat)); vertical-align: middle; margin-left: .3rem; }
details { margin: .25rem 0; }
summary { cursor: pointer; }
ul.plain { padding-left: 1.2rem; }
figure { margin: .5rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: var(--muted); }
footer { color: var(--muted); font-size: .85rem; padding-bottom: 2rem; margin-top: 2rem; }
"""


def esc(value: Any) -> str:
    """Any value as text safe inside an element or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, header: str, sections: list[tuple[str, str, str]], footer: str) -> str:
    """The whole document: `sections` are (anchor id, heading, body html); empty bodies are left out."""
    shown = [(anchor, heading, body) for anchor, heading, body in sections if body]
    links = "".join(f'<li><a href="#{anchor}">{esc(heading)}</a></li>' for anchor, heading, _ in shown)
    body = "".join(f'<section id="{anchor}" aria-labelledby="{anchor}-h"><h2 id="{anchor}-h">{esc(heading)}</h2>'
                   f"{content}</section>" for anchor, heading, content in shown)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<header>{header}</header>"
            f'<nav aria-label="Sections"><ul>{links}</ul></nav>'
            f"<main>{body}</main><footer>{footer}</footer></body></html>\n")


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    """A definition list of (label, html) pairs; pairs whose html is empty are left out."""
    items = "".join(f"<dt>{esc(label)}</dt><dd>{value}</dd>" for label, value in pairs if value not in (None, ""))
    return f'<dl class="facts">{items}</dl>' if items else ""


def table(headings: list[str], rows: Iterable[list[str]], numeric: Iterable[int] = (), caption: str = "") -> str:
    """A table in a sideways-scrolling box; `rows` hold html cells, `numeric` the right-aligned columns."""
    right = set(numeric)
    head = "".join(f'<th scope="col"{" class=num" if i in right else ""}>{esc(h)}</th>' for i, h in enumerate(headings))
    body = "".join("<tr>" + "".join(f"<td{' class=num' if i in right else ''}>{cell}</td>"
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    if not body:
        return ""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def diff_block(patch: str, label: str = "", max_lines: int = 0) -> str:
    """A unified diff with added and removed lines shaded (their +/- stays: it reads without colour);
    past `max_lines` (0: no cap) the rest is counted, not shown (a page of 500 whole-file rewrites stays small)."""
    if not patch:
        return ""
    lines = []
    shown = patch.rstrip("\n").split("\n")
    if max_lines and len(shown) > max_lines:
        shown = shown[:max_lines] + [f"... {len(shown) - max_lines} more line(s): see the run's trajectory.jsonl"]
    for line in shown:
        kind = "add" if line.startswith("+") and not line.startswith("+++") else \
            "del" if line.startswith("-") and not line.startswith("---") else "hunk" if line.startswith("@@") else ""
        lines.append(f'<span class="{kind}">{esc(line) or " "}</span>' if kind else f"<span>{esc(line) or ' '}</span>")
    aria = f' aria-label="{esc(label)}"' if label else ""
    return f'<pre class="diff"{aria}>{"".join(lines)}</pre>'


def text_block(text: str) -> str:
    return f'<pre class="text">{esc(text)}</pre>' if text else ""


def status_badge(status: str, good: bool, warn: bool = False) -> str:
    kind = "good" if good else "warn" if warn else "bad"
    return f'<span class="status {kind}">{esc(status.replace("_", " "))}</span>'


def heat_cell(score: float | None, top: float) -> tuple[str, str]:
    """(a style attribute shading a score against the page's highest `top`, the score as text); ("", "")
    without a score. The class `heat` uses the style's --a as the shade's opacity."""
    if score is None:
        return "", ""
    share = 0.0 if top <= 0 else max(0.0, min(1.0, score / top))
    return f' style="--a:{0.06 + 0.6 * share:.2f}"', f"{score:.3f}"


def bar(score: float, top: float, width_rem: float = 6.0) -> str:
    """A bar as long as `score` is against `top` (beside its number, never instead of it)."""
    share = 0.0 if top <= 0 else max(0.0, min(1.0, score / top))
    return f'<span class="bar" style="width:{width_rem * share:.2f}rem" aria-hidden="true"></span>'


def code_list(items: Iterable[Any], limit: int = 0) -> str:
    """Items (test names, functions) as a list of <code>; past `limit`, a count of the rest."""
    items = list(items)
    shown = items[:limit] if limit else items
    if not shown:
        return ""
    more = f"<li>and {len(items) - len(shown)} more</li>" if len(items) > len(shown) else ""
    return '<ul class="plain">' + "".join(f"<li><code>{esc(i)}</code></li>" for i in shown) + more + "</ul>"


def fold(summary: str, content: str, open_: bool = False) -> str:
    """A <details> box (opens without JavaScript); `summary` is html."""
    if not content:
        return ""
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>{content}</details>"


def number(value: Any, digits: int = 2, suffix: str = "") -> str:
    try:
        return f"{float(value):.{digits}f}{suffix}"
    except (TypeError, ValueError):
        return ""
