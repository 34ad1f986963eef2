"""Planner benchmark: `suture fix --model scripted:SCRIPT` over the hand-written bug corpus with
an "oracle" model that knows each bug's fix (bench/bugs/<name>/bug.toml).

The model is the one thing faked. For every bug the repo is prepared as bench/bench_fix.py
prepares it (the buggy program without heldout/, fix.diff and bug.toml), and a script for the
scripted provider plays a competent model in five turns:

    1 localize            2 read_code of the file of the first [[edit]]
    3 state_plans         4 propose_edit with the bug's known edits (SEARCH = the buggy text,
                            REPLACE = the fixed text; widened to whole lines when the buggy text
                            occurs more than once, as a careful model copies enough context)
    5 finish              (not reached when the patch passes: the planner stops at an accepted patch)

The turns carry no usage, so the provider estimates tokens as characters / 4 of what was
really sent and said: the token counts are estimates. The real CLI runs in a subprocess:

    suture fix --repo DIR --json --model scripted:SCRIPT --max-candidates K --time-limit T

K is 0 when the CLI accepts it (no rule-engine candidate at all); otherwise 1, and the one rule
candidate is left out of the numbers (a bug the rule engine fixes with it never reaches the
planner and is counted apart). The run's trajectory.jsonl (run_dir of the JSON report) and the
provider's transcript then give, per bug:

- LLM calls, tokens (estimated), tool calls;
- round discipline: every model call after the first must come after the previous call's tool
  calls were all answered, and one call per round (a second request in a round, e.g. a
  retry, is a violation); repeated identical tool calls (same name and arguments);
- suture's overhead per step, everything except waiting on the model: each tool call's wall time
  ("tool" events), split into propose_edit (which includes gating; the gate's own seconds are
  the verdict's) and the other tools, plus each round's time between the previous step and the
  model's answer (context upkeep, logging and the client; the scripted model answers at once);
- whether the oracle patch fixes the bug: the returned patch is applied to a fresh copy and
  judged by bench_fix's judge (visible suite passes = fixed; held-back suite too = correct).
  The oracle should fix every bug; a miss means a tool or a gate is wrong.

    python bench/bench_planner.py [--limit N] [--only NAME]... [--time-limit 120]
                                  [--no-results] [--rows PATH] [--batch [--workers N]]

--batch runs every case through one `suture batch --workers N` (the product path: each case a task of
the batch, its report read back from results.jsonl) instead of one `suture fix` per case; the per-step
overheads then share the machine with N-1 other cases.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_fix  # noqa: E402  the corpus, case preparation and judging are bench_fix's
from common import append_results, median, percentile, run_batch  # noqa: E402

from suture.agent.propose.planner_tools import call_key  # noqa: E402  the loop breaker's identity of a call

bugs_corpus = bench_fix.bugs_corpus
OVERHEAD_TARGET_SECONDS = 0.300  # median per non-gating step (issue 6)
GATING_TOOLS = {"propose_edit"}


class OracleError(Exception):
    """The oracle could not turn a bug's [[edit]]s into edits that rebuild the fixed program."""


# -- the oracle model -------------------------------------------------------------------------

def _only_once(text: str, snippet: str) -> bool:
    first = text.find(snippet)
    return first >= 0 and text.find(snippet, first + 1) < 0


def _occurrences(text: str, snippet: str) -> list[int]:
    found, at = [], text.find(snippet)
    while at >= 0 and snippet:
        found.append(at)
        at = text.find(snippet, at + 1)
    return found


def _whole_lines(text: str, start: int, end: int) -> bool:
    return (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")


def _agreement(a: str, b: str) -> int:
    """How much of `a` agrees with `b` from either end (linear, unlike difflib on a long file)."""
    head = len(os.path.commonprefix([a, b]))
    tail = len(os.path.commonprefix([a[head:][::-1], b[head:][::-1]]))
    return head + tail


def search_replace(text: str, buggy: str, fixed: str, correct: str, *, raw: bool = False) -> tuple[str, str]:
    """SEARCH/REPLACE for one bug edit in `text`, as a careful model copies it.

    The buggy snippet itself when it occurs once and is one line or whole lines (tools/edits.py
    matches a multi-line SEARCH by whole lines; `raw` leaves a multi-line snippet as it is);
    otherwise the occurrence whose fix brings `text` closest to `correct`, widened to whole lines
    and then line by line until the SEARCH text occurs once.
    """
    starts = _occurrences(text, buggy)
    if not starts:
        raise OracleError(f"the buggy text {buggy!r} is not in the file")
    at = starts[0] if len(starts) == 1 else max(starts, key=lambda s: _agreement(
        text[:s] + fixed + text[s + len(buggy):], correct))
    if len(starts) == 1 and (raw or "\n" not in buggy or _whole_lines(text, at, at + len(buggy))):
        return buggy, fixed
    lo = text.rfind("\n", 0, at) + 1
    hi = text.find("\n", at + len(buggy))
    hi = len(text) if hi < 0 else hi
    while not _only_once(text, text[lo:hi]):
        if lo == 0 and hi == len(text):
            raise OracleError(f"no context makes {buggy!r} unique")
        lo = text.rfind("\n", 0, max(lo - 1, 0)) + 1 if lo > 0 else 0
        nxt = text.find("\n", hi + 1) if hi < len(text) else -1
        hi = len(text) if nxt < 0 else nxt
    return text[lo:hi], text[lo:at] + fixed + text[at + len(buggy):hi]


def oracle_edits(case, repo: Path, scratch: Path, *, raw: bool = False) -> list[dict]:
    """The case's known fix as propose_edit edits against `repo` (the buggy HEAD), checked to
    rebuild exactly the fixed files: a corpus bug's [[edit]]s against fix.diff applied, a seeded
    fault's mutation undone against the library's own file."""
    if case.source == "bug":
        answer = bugs_corpus.copy_program(case.bug, scratch / "answer")
        complaint = bugs_corpus.apply_patch(answer, case.bug.fix_diff)
        if complaint:
            raise OracleError(f"fix.diff does not apply: {complaint[:120]}")
        changes = tomllib.loads((case.bug.root / "bug.toml").read_text()).get("edit", [])
    else:
        answer = case.library_repo
        changes = [{"path": case.fault["path"], "buggy": case.fault["mutated"], "fixed": case.fault["original"]}]
    texts: dict[str, str] = {}
    edits = []
    for change in changes:
        path = change["path"]
        text = texts.setdefault(path, (repo / path).read_text())
        search, replace = search_replace(text, change["buggy"], change["fixed"], (answer / path).read_text(), raw=raw)
        texts[path] = text.replace(search, replace, 1)
        edits.append({"path": path, "search": search, "replace": replace})
    wrong = [p for p, t in texts.items() if t != (answer / p).read_text()]
    if not edits or wrong:
        raise OracleError(f"the edits do not rebuild the fixed {', '.join(wrong) or 'program'}")
    return edits


def describe(case) -> str:
    """What the oracle believes the bug is (its first plan's hypothesis)."""
    if case.source == "bug":
        return case.bug.description
    f = case.fault
    return f"a {f['kind']} fault in {f['symbol']}: {f['original']!r} became {f['mutated']!r}"


def oracle_script(description: str, edits: list[dict]) -> list[dict]:
    """Five turns of a competent model; no usage, so the provider estimates the tokens."""
    first = edits[0]["path"]
    plans = [
        {"hypothesis": description, "location": first,
         "repair": "; ".join(f"in {e['path']} change {e['search'].strip()!r} to {e['replace'].strip()!r}"
                             for e in edits)},
        {"hypothesis": "the failing tests exercise a caller that passes the wrong value", "location": first,
         "repair": "fix the value at the call site instead"},
    ]
    return [
        _turn("The failing tests are the report; first where their coverage points.", "localize", {}),
        _turn(f"The top suspects are in {first}; reading it.", "read_code", {"path": first}),
        _turn("Two hypotheses before patching.", "state_plans", {"plans": plans}),
        _turn("Plan 1 explains every failing test; patching.", "propose_edit", {"plan": 1, "edits": edits}),
        _turn("The patch passed every gate.", "finish", {"summary": description}),
    ]


def _turn(text: str, name: str, arguments: dict) -> dict:
    return {"text": text, "tool_calls": [{"name": name, "arguments": arguments}]}


# -- running the CLI --------------------------------------------------------------------------

def max_candidates_floor() -> int:
    """0 when `suture fix` accepts --max-candidates 0 (no rule candidate), else 1."""
    probe = subprocess.run([bench_fix.suture_exe(), "fix", "--max-candidates", "0", "--repo", "/nonexistent/suture"],
                           capture_output=True, text=True)
    return 1 if "max-candidates" in probe.stderr else 0


def run_cli(repo: Path, script: Path, time_limit: float, max_candidates: int) -> dict:
    """The JSON report of `suture fix` with the scripted model, plus exit code and wall time.

    Not bench_fix.run_suture_fix: that runs the rule engine alone, with no way to add options.
    """
    cmd = [bench_fix.suture_exe(), "fix", "--repo", str(repo), "--json", "--time-limit", f"{time_limit:g}",
           "--model", f"scripted:{script}", "--max-candidates", str(max_candidates)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=time_limit * 1.5 + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    lines = out.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        report = {}
    if not isinstance(report, dict) or "status" not in report:
        report = {"status": "error", "error": (err.strip() or out.strip())[-300:] or "no JSON report"}
    report["exit_code"] = proc.returncode
    report["wall"] = time.perf_counter() - start
    return report


# -- reading a run ----------------------------------------------------------------------------

def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _round_violations(models: list[dict], requests: list[dict]) -> list[str]:
    """Each request after the first must hold the previous answer's tool calls, every one answered;
    and there must be exactly one request per round."""
    problems = []
    if len(requests) != len(models):
        problems.append(f"{len(requests)} model requests for {len(models)} rounds")
    for k, request in enumerate(requests[1:], start=1):
        if k > len(models):
            break
        wanted = [c["id"] for c in models[k - 1].get("tool_calls", [])]
        messages = request["messages"]
        asked = [i for i, m in enumerate(messages) if m.get("role") == "assistant"
                 and [c["id"] for c in m.get("tool_calls") or []] == wanted]
        if not asked:
            problems.append(f"request {k + 1} does not hold the answer of round {k}")
            continue
        answered = {m.get("tool_call_id") for m in messages[asked[-1] + 1:] if m.get("role") == "tool"}
        missing = [c for c in wanted if c not in answered]
        if missing:
            problems.append(f"request {k + 1} was made before tool call(s) {', '.join(missing)} were answered")
    return problems


@dataclass
class RunNumbers:
    rounds: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    estimated: bool
    tool_calls: int
    tools: list[str]
    round_problems: list[str]
    repeated_calls: int
    step_seconds: list[float]  # non-gating tool calls
    round_gaps: list[float]  # rounds 2..n: previous step's end to the model's answer
    quiet_rounds: list[float]  # rounds 2..n without gating: the round's upkeep plus its tool calls
    setup_seconds: float | None  # planner start (index, task) and the first call
    propose_seconds: list[float]
    gate_seconds: list[float]
    rule_candidates: int
    model_verdicts: list[dict]


def read_run(run_dir: Path, transcript: Path) -> RunNumbers:
    events = _jsonl(run_dir / "trajectory.jsonl")
    requests = _jsonl(transcript)
    models = [e for e in events if e["event"] == "model"]
    tools = [e for e in events if e["event"] == "tool"]
    verdicts = {e["id"]: e for e in events if e["event"] == "verdict"}
    model_ids = [e["id"] for e in events if e["event"] == "candidate" and e.get("source") == "model"]
    keys = Counter(call_key(t["name"], t["arguments"]) for t in tools)
    gaps, setup = [], None
    for i, e in enumerate(events):
        if e["event"] == "model" and i > 0:
            gap = e["t"] - events[i - 1]["t"]
            if e["step"] == 1:
                setup = gap
            else:
                gaps.append(gap)
    proposes = [t for t in tools if t["name"] in GATING_TOOLS]
    quiet = []  # a non-gating round costs its upkeep before the answer plus its tool calls
    for step, gap in zip((m["step"] for m in models[1:]), gaps):
        mine = [t for t in tools if t["step"] == step]
        if not any(t["name"] in GATING_TOOLS for t in mine):
            quiet.append(gap + sum(t["seconds"] for t in mine))
    return RunNumbers(
        rounds=len(models),
        requests=len(requests),
        prompt_tokens=sum(m["usage"]["prompt_tokens"] for m in models),
        completion_tokens=sum(m["usage"]["completion_tokens"] for m in models),
        estimated=any(m["usage"].get("estimated") for m in models),
        tool_calls=len(tools),
        tools=[t["name"] for t in tools],
        round_problems=_round_violations(models, requests),
        repeated_calls=sum(n - 1 for n in keys.values()),
        step_seconds=[t["seconds"] for t in tools if t["name"] not in GATING_TOOLS],
        round_gaps=gaps,
        quiet_rounds=quiet,
        setup_seconds=setup,
        propose_seconds=[t["seconds"] for t in proposes],
        gate_seconds=[verdicts[t["verdict"]]["seconds"] for t in proposes if t.get("verdict") in verdicts],
        rule_candidates=sum(1 for e in events if e["event"] == "candidate" and e.get("source") != "model"),
        model_verdicts=[verdicts[i] for i in model_ids if i in verdicts],
    )


# -- one bug ----------------------------------------------------------------------------------

def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def run_bug(case, args) -> dict:
    keep = args.keep / _safe(case.name) if args.keep else None
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="suture-plannerbench-") as tmp:
        tmp = keep or Path(tmp)
        prepared = prepare_bug(case, tmp, args)
        if isinstance(prepared, dict):
            return prepared
        repo, script = prepared
        report = run_cli(repo, script, args.time_limit, args.max_candidates)
        return bug_row(case, report, script, tmp, kept=keep is not None)


def run_bugs_batch(cases, args) -> list[dict]:
    """Every bug prepared first (repo and oracle script), then all of them through one `suture batch
    --workers N` (the product path), each row made from its report in results.jsonl as `run_bug` makes
    it from the single command's."""
    with tempfile.TemporaryDirectory(prefix="suture-plannerbench-batch-") as tmp:
        root = args.keep or Path(tmp)
        rows, tasks, scripts = {}, [], {}
        for case in cases:
            case_dir = root / _safe(case.name)
            shutil.rmtree(case_dir, ignore_errors=True)
            case_dir.mkdir(parents=True)
            prepared = prepare_bug(case, case_dir, args)
            if isinstance(prepared, dict):
                rows[case.name] = prepared
                continue
            repo, scripts[case.name] = prepared
            tasks.append({"id": _safe(case.name), "repo": str(repo), "command": "fix",
                          "args": {"time_limit": args.time_limit, "model": f"scripted:{scripts[case.name]}",
                                   "max_candidates": args.max_candidates}})
        reports, _ = run_batch(tasks, root / "batch", args.workers, args.time_limit * 1.5 + 30)
        for case in cases:
            if case.name not in rows:
                report = reports.get(_safe(case.name)) or {"status": "error", "error": "not in results.jsonl", "wall": 0.0}
                rows[case.name] = bug_row(case, report, scripts[case.name], root / _safe(case.name), kept=args.keep is not None)
        return [rows[case.name] for case in cases]


def prepare_bug(case, tmp: Path, args) -> tuple[Path, Path] | dict:
    """(the bug's repo, the oracle's script) in `tmp`; or the row of a bug the bench cannot set up."""
    try:
        repo = case.prepare(tmp / "repo")
        edits = oracle_edits(case, repo, tmp, raw=args.raw_edits)
    except (bugs_corpus.BugCorpusError, bench_fix.faults_corpus.CorpusError, OracleError, ValueError) as error:
        return {"source": case.source, "name": case.name, "kind": case.kind, "status": "bench_error",
                "note": str(error)[:200], "planner_ran": False, "fixed": False, "correct": False}
    script = tmp / "oracle.jsonl"
    script.write_text("".join(json.dumps(t) + "\n" for t in oracle_script(describe(case), edits)))
    return repo, script


def bug_row(case, report: dict, script: Path, tmp: Path, kept: bool) -> dict:
    """A bug's row from its `suture fix` report (with exit_code and wall), its run's trajectory and the
    provider's transcript; the returned patch judged on a fresh copy."""
    row = {"source": case.source, "name": case.name, "kind": case.kind}
    run_dir = Path(report["run_dir"]) if report.get("run_dir") else None
    numbers = read_run(run_dir, script.with_suffix(".transcript.jsonl")) if run_dir else None
    # A patch that passes every gate on weak evidence is held back as "plausible" (exit 1): judge it too.
    plausible = report.get("plausible") or {}
    patch = report.get("patch") or plausible.get("patch") or ""
    verdict = case.judge(patch, tmp) if patch.strip() else bench_fix.Verdict(False, False, "no patch")
    planner = report.get("planner") or {}
    row.update(status=report.get("status"), exit_code=report.get("exit_code"), engine=report.get("engine"),
               stopped_because=planner.get("stopped_because"), seconds=round(report["wall"], 2),
               planner_ran=bool(numbers and numbers.rounds), fixed=verdict.fixed, correct=verdict.correct,
               gates_passed=planner.get("stopped_because") == "accepted", weak=bool(plausible),
               confidence=(report.get("confidence") or {}).get("value"),
               calls=(report.get("cost") or {}).get("calls"), tokens=(report.get("cost") or {}).get("tokens"),
               run_dir=str(run_dir) if kept else None,
               note=verdict.note if report.get("status") != "error" else report.get("error", "")[:200])
    if numbers is not None:
        row.update(vars(numbers))
        if numbers.model_verdicts and not verdict.fixed:
            last = numbers.model_verdicts[-1]
            row["note"] = f"{row['note']}; gate {last['stage']}: {last['message']}"[:300]
    return row


# -- report -----------------------------------------------------------------------------------

def _stats(values: list[float], unit: float = 1000.0, suffix: str = " ms") -> str:
    if not values:
        return "-"
    return (f"{median(values) * unit:.0f} / {percentile(values, 0.9) * unit:.0f} / {max(values) * unit:.0f}{suffix}"
            f" (n={len(values)})")


SOURCES = {"bug": "own corpus (bench/bugs)", "fault": "seeded faults in real libraries (bench/faults)"}


def report(rows: list[dict], args, seconds: float) -> str:
    k = args.max_candidates
    lines = [
        f"`suture fix --json --model scripted:ORACLE --max-candidates {k} --time-limit {args.time_limit:g}`; "
        f"{len(rows)} cases, " + (f"through `suture batch --workers {args.workers}`" if args.batch else "one at a time")
        + f", {seconds:.0f} s in all. The oracle script: localize, read_code, "
        "state_plans, propose_edit with the known fix"
        + (" (bug.toml's texts verbatim)" if args.raw_edits else "") + ", finish."
        + (" The CLI refuses --max-candidates 0, so one rule-engine candidate is gated first; a case it fixes "
           "never reaches the planner and is not measured." if k else ""),
    ]
    for source, label in SOURCES.items():
        group = [r for r in rows if r.get("source") == source]
        if group:
            lines += ["", f"### {label}", "", *_section(group, args)]
    return "\n".join(lines)


def _section(rows: list[dict], args) -> list[str]:
    ran = [r for r in rows if r.get("planner_ran")]
    rules_first = [r for r in rows if not r.get("planner_ran") and r.get("engine") == "rules" and r["fixed"]]
    errors = [r for r in rows if not r.get("planner_ran") and r not in rules_first]
    fixed = [r for r in ran if r.get("gates_passed")]  # the oracle's patch passed every gate
    weak = [r for r in fixed if r.get("weak")]
    judged = [r for r in fixed if r["fixed"]]
    correct = [r for r in fixed if r["correct"]]
    first_try = [r for r in fixed if len(r.get("propose_seconds", [])) == 1]
    lines = [
        f"- Planner ran on {len(ran)} of {len(rows)} case(s)"
        + (f"; {len(rules_first)} fixed by the rule-engine candidate first ("
           + ", ".join(r["name"] for r in rules_first) + ")" if rules_first else "")
        + (f"; {len(errors)} did not reach the planner: "
           + "; ".join(f"{r['name']} ({r.get('status')}: {r.get('note', '')[:80]})" for r in errors) if errors else "")
        + ".",
        f"- Oracle patch passes every gate: {len(fixed)}/{len(ran)} ({bench_fix.pct(len(fixed), len(ran))}), "
        f"{len(first_try)} on the first proposal; delivered as a fix: {len(fixed) - len(weak)}, held back as "
        f"plausible but weakly evidenced (exit 1): {len(weak)}"
        + (" (" + ", ".join(f"{r['name']} confidence {r.get('confidence')}" for r in weak) + ")" if weak else "")
        + f". Judged by the bench: fixed {len(judged)}/{len(ran)}, correct {len(correct)}/{len(ran)}.",
    ]
    if fixed:
        calls = [r["calls"] for r in fixed]
        lines.append(
            f"- Per case whose oracle patch passed the gates: LLM calls median {median(calls):g} "
            f"(min {min(calls)}, max {max(calls)}); "
            f"tool calls median {median([r['tool_calls'] for r in fixed]):g}; tokens (ESTIMATED, characters / 4 of "
            f"what was sent and said) median {median([r['prompt_tokens'] for r in fixed]):.0f} prompt + "
            f"{median([r['completion_tokens'] for r in fixed]):.0f} completion "
            f"(max {max(r['prompt_tokens'] + r['completion_tokens'] for r in fixed)} in all).")
    problems = [(r["name"], p) for r in ran for p in r.get("round_problems", [])]
    lines += [
        f"- At most 1 call per tool round: {len(problems)} violation(s) (target 0)"
        + (": " + "; ".join(f"{n}: {p}" for n, p in problems[:10]) if problems else "") + ".",
        f"- Repeated identical tool calls: {sum(r.get('repeated_calls', 0) for r in ran)} (target 0).",
    ]
    steps = [s for r in ran for s in r.get("step_seconds", [])]
    quiet = [s for r in ran for s in r.get("quiet_rounds", [])]
    if steps:
        pairs = [(p, g) for r in ran for p, g in zip(r.get("propose_seconds", []), r.get("gate_seconds", []))]
        met = median(steps) < OVERHEAD_TARGET_SECONDS and (not quiet or median(quiet) < OVERHEAD_TARGET_SECONDS)
        lines += [
            "",
            "Suture's overhead per step (the scripted model answers at once, so this is everything but the "
            "model), median / p90 / max; the trajectory's times have 1 ms resolution:",
            "",
            "| what | time |",
            "|---|---:|",
            f"| non-gating tool call (localize, read_code, state_plans; \"tool\" event seconds) | {_stats(steps)} |",
            f"| round upkeep before the model's answer (rounds 2.., previous step's end to the answer) | "
            f"{_stats([s for r in ran for s in r.get('round_gaps', [])])} |",
            f"| non-gating round: its upkeep + its tool calls (rounds 2..) | {_stats(quiet)} |",
            f"| propose_edit in all (includes gating) | {_stats([p for p, _ in pairs])} |",
            f"| of which the gates (verdict seconds: scratch worktree, tests) | {_stats([g for _, g in pairs])} |",
            f"| of which outside the gates | {_stats([p - g for p, g in pairs])} |",
            f"| planner start: index, retriever, repo map, task, first call | "
            f"{_stats([r['setup_seconds'] for r in ran if r.get('setup_seconds') is not None])} |",
            "",
            f"Target: non-gating steps under {OVERHEAD_TARGET_SECONDS * 1000:.0f} ms median: "
            f"{'met' if met else '**missed**'}. Whole CLI run per case (baseline with coverage, "
            f"{'the rule candidate, ' if args.max_candidates else ''}planner, gates; judging not included): "
            f"median {median([r['seconds'] for r in ran]):.1f} s.",
        ]
    misses = [r for r in ran if not r["correct"] or not r.get("gates_passed")]
    if misses:
        lines += ["", "Oracle misses (a tool or a gate is wrong, or the case is): " + "; ".join(
            f"{r['name']} ({r.get('status')}, planner {r.get('stopped_because')}: {r.get('note', '')})"
            for r in misses)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The planner with a scripted oracle model on the bug corpora.")
    parser.add_argument("--limit", type=int, help="at most N bugs")
    parser.add_argument("--only", action="append", help="a bug name (repeatable)")
    parser.add_argument("--faults", type=int, default=0, metavar="N",
                        help="also N seeded faults of bench/faults, library by library (real-size repos)")
    parser.add_argument("--work-dir", type=Path, default=bench_fix.faults_corpus.DEFAULT_WORK_DIR,
                        help="the fault corpus's work dir")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds given to each `suture fix`")
    parser.add_argument("--raw-edits", action="store_true",
                        help="SEARCH texts exactly as bug.toml has them (widened only when ambiguous)")
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep each case's repo, script, transcript and run in DIR/<case> (to look into a miss)")
    parser.add_argument("--rows", type=Path, help="also write the per-case rows as JSON to this file")
    parser.add_argument("--batch", action="store_true", help="run the cases through one `suture batch --workers N`")
    parser.add_argument("--workers", type=int, default=2, help="with --batch: cases at a time")
    args = parser.parse_args(argv)

    if not bench_fix.fix_command_available():
        raise SystemExit("`suture fix` is not available in this environment.")
    try:
        cases = bench_fix.bug_cases(args.only)[: args.limit]
        if args.faults:
            cases += bench_fix.fault_cases(args.work_dir, None)[: args.faults]
    except (bugs_corpus.BugCorpusError, bench_fix.faults_corpus.CorpusError) as error:
        raise SystemExit(str(error)) from None
    args.max_candidates = max_candidates_floor()
    print(f"{len(cases)} cases, --max-candidates {args.max_candidates}", file=sys.stderr)
    started = time.perf_counter()
    rows = run_bugs_batch(cases, args) if args.batch else []
    for i, case in enumerate(cases, 1):
        row = rows[i - 1] if args.batch else run_bug(case, args)
        if not args.batch:
            rows.append(row)
        mark = "correct" if row["correct"] else "fixed" if row["fixed"] else row.get("status")
        mark += " (held back: weak evidence)" if row.get("weak") else ""
        print(f"[{i}/{len(cases)}] {row['name']}: {mark} engine={row.get('engine')} calls={row.get('calls')} "
              f"tools={row.get('tools')} {row.get('seconds', '')}s {row.get('note') or ''}", file=sys.stderr)
    text = report(rows, args, time.perf_counter() - started)
    print(text)
    if args.rows:
        args.rows.write_text(json.dumps(rows, indent=1, default=str))
    if not args.no_results:
        append_results("Planner (`suture fix --model scripted:ORACLE`)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
