"""Verifier benchmark: false alarms, catch rate and time per changed function (issue 7).

Over the hand-written bug corpus (bench/bugs) and the cases in bench/verify_cases.py:

- fix gate (agent/verify_gate.GateVerifier, exactly as `suture fix` runs it: crashes and
  contracts the patch brings in, at the default bound, the buggy program as the base):
  * every bug's correct fix (fix.diff) must pass: a rejection is a false alarm;
  * every equivalent rewrite (base: the fixed program) must pass: a rejection is a false alarm;
  * wrong-but-test-passing patches: a rejection is a catch.
- equivalence portfolio (tools.verifier.verify mode=equivalence: Hypothesis, then CrossHair
  diffbehavior), the fixed program as the base:
  * equivalent rewrites: a counterexample is a false alarm;
  * wrong-but-test-passing patches: a counterexample is a catch.

A wrong patch counts only when the bench confirms both claims: the visible tests pass with it,
and its witness call behaves differently from the fixed program's. Times are wall seconds per
changed function as the verifier reports them; the machine and its load are noted.

    python bench/bench_verify.py [--only BUG]... [--no-results] [--skip-fixed]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import append_results, median, percentile  # noqa: E402
from verify_cases import REWRITES, WRONG  # noqa: E402

from suture.agent.gates.patches import changed_lines, symbols_of as _symbols, touched as _touched  # noqa: E402
from suture.agent.gates.verify_gate import GateVerifier  # noqa: E402
from suture.tools.verify.arg_types import annotations_for, collect_calls  # noqa: E402
from suture.tools.verify.verifier import Target, verify  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_bugs_corpus", HERE / "bugs" / "corpus.py")
corpus = importlib.util.module_from_spec(spec)
sys.modules["bench_bugs_corpus"] = corpus
spec.loader.exec_module(corpus)

EQUIVALENCE_SECONDS = 10.0
TARGETS = {"false_alarms": 0, "catch_rate": 0.70, "median_seconds": 10.0}


@dataclass
class Outcome:
    group: str  # "fixed" | "rewrite" | "wrong"
    name: str
    crash: bool = False
    gate: str = ""  # the gate's verdict for the candidate
    gate_seconds: list[float] = field(default_factory=list)  # per changed function
    gate_detail: str = ""
    equivalence: str = ""
    equivalence_seconds: list[float] = field(default_factory=list)
    equivalence_detail: str = ""
    invalid: str = ""  # why a case was left out


def _edit(tree: Path, path: str, edits: list[tuple[str, str]]) -> None:
    file = tree / path
    text = file.read_text()
    for search, replace in edits:
        if text.count(search) != 1:
            raise ValueError(f"{path}: {search!r} occurs {text.count(search)} times")
        text = text.replace(search, replace)
    file.write_text(text)


def _changed(tree: Path) -> list:
    patch = subprocess.run(["git", "diff", "HEAD"], cwd=tree, capture_output=True, text=True, check=True).stdout
    symbols = []
    for change in changed_lines(patch):
        if change.new_path:
            symbols += _touched(_symbols(change.new_path, (tree / change.new_path).read_bytes()), change.new_lines)
    return symbols


def _run_gate(outcome: Outcome, base: Path, tree: Path) -> None:
    symbols = _changed(tree)
    gate = GateVerifier(base)
    name, details, data = gate(tree, symbols)
    outcome.gate = name
    outcome.gate_detail = details[:300]
    outcome.gate_seconds = [f["seconds"] for f in data["functions"] if f["verdict"] != "not_run" and "seconds" in f]


def _run_equivalence(outcome: Outcome, base_text: dict[str, str], tree: Path) -> None:
    verdicts = []
    for symbol in _changed(tree):
        if symbol.path.startswith("tests/"):
            continue
        # As `suture verify --against` does: unannotated parameters take the types the tests pass.
        types, _ = annotations_for((tree / symbol.path).read_text(), symbol.qualname, collect_calls(tree))
        target = Target(tree, symbol.path, symbol.qualname, base_text[symbol.path], param_types=types or None)
        verdict = verify(target, "equivalence", time_limit=EQUIVALENCE_SECONDS)
        outcome.equivalence_seconds.append(verdict.seconds)
        verdicts.append(verdict)
        if verdict.verdict == "counterexample":
            break
    found = next((v for v in verdicts if v.verdict == "counterexample"), None)
    outcome.equivalence = "counterexample" if found else ",".join(sorted({v.verdict for v in verdicts})) or "none"
    if found:
        cx = found.counterexample
        outcome.equivalence_detail = f"{found.backend}: {cx.inputs} -> {found.message}"[:300]


def _behaviour(tree: Path, module: str, call: str) -> str:
    code = (f"import sys; sys.path.insert(0, {str(tree)!r})\nfrom {module} import *\n"
            f"try:\n    print(repr({call}))\nexcept Exception as e:\n    print('raises', type(e).__name__)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    return done.stdout.strip() or done.stderr.strip()[-200:]


def _module(path: str) -> str:
    return path[:-3].replace("/", ".")


def _prepare(bug, work: Path) -> tuple[Path, Path]:
    buggy = corpus.copy_program(bug, work / "buggy")
    fixed = corpus.copy_program(bug, work / "fixed")
    problem = corpus.apply_patch(fixed, bug.fix_diff)
    if problem:
        raise ValueError(f"fix.diff does not apply: {problem}")
    return buggy, fixed


def run_case(kind: str, case: dict, bug, work: Path) -> Outcome:
    label = case["bug"] + (f" ({case['edits'][0][1][:40]})" if kind != "fixed" else "")
    outcome = Outcome(kind, label, crash=bool(case.get("crash")))
    try:
        buggy, fixed = _prepare(bug, work)
        if kind == "fixed":
            _run_gate(outcome, buggy, fixed)
            return outcome
        if kind == "rewrite":
            # Judged against the fixed program: commit it, then rewrite a copy of it.
            corpus.git(fixed, "add", "-A")
            corpus.git(fixed, "commit", "-qm", "fixed")
            rewrite = work / "rewrite"
            subprocess.run(["cp", "-r", str(fixed), str(rewrite)], check=True)
            _edit(rewrite, case["path"], case["edits"])
            tests = corpus.run_suites(rewrite, ["tests"])
            if tests.failed() or tests.timed_out:
                outcome.invalid = f"the rewrite fails visible tests: {tests.failed()[:2]}"
                return outcome
            _run_gate(outcome, fixed, rewrite)
            _run_equivalence(outcome, {case["path"]: (fixed / case["path"]).read_text()}, rewrite)
            return outcome
        # wrong: a patch of the buggy program, checked to pass the tests and to differ from the fix.
        wrong = work / "wrong"
        subprocess.run(["cp", "-r", str(buggy), str(wrong)], check=True)
        _edit(wrong, case["path"], case["edits"])
        tests = corpus.run_suites(wrong, ["tests"])
        if tests.failed() or tests.timed_out or not tests.passed():
            outcome.invalid = f"fails visible tests: {tests.failed()[:2]}"
            return outcome
        module = _module(case["path"])
        on_fixed, on_wrong = _behaviour(fixed, module, case["witness"]), _behaviour(wrong, module, case["witness"])
        if on_fixed == on_wrong:
            outcome.invalid = f"the witness {case['witness']} gives {on_fixed} on both"
            return outcome
        _run_gate(outcome, buggy, wrong)
        _run_equivalence(outcome, {case["path"]: (fixed / case["path"]).read_text()}, wrong)
    except Exception as error:  # one broken case must not lose the run
        outcome.invalid = f"{type(error).__name__}: {error}"
    return outcome


def _rate(hits: int, n: int) -> str:
    return f"{hits}/{n} ({100 * hits / n:.0f}%)" if n else "0/0"


def report(outcomes: list[Outcome], seconds: float) -> str:
    valid = [o for o in outcomes if not o.invalid]
    fixed = [o for o in valid if o.group == "fixed"]
    rewrites = [o for o in valid if o.group == "rewrite"]
    wrong = [o for o in valid if o.group == "wrong"]
    crash = [o for o in wrong if o.crash]
    gate_times = [s for o in valid for s in o.gate_seconds]
    equiv_times = [s for o in valid for s in o.equivalence_seconds]
    fa_fixed = [o for o in fixed if o.gate == "counterexample"]
    fa_rewrite_gate = [o for o in rewrites if o.gate == "counterexample"]
    fa_rewrite_equiv = [o for o in rewrites if o.equivalence == "counterexample"]
    caught_gate = [o for o in wrong if o.gate == "counterexample"]
    caught_gate_crash = [o for o in crash if o.gate == "counterexample"]
    caught_equiv = [o for o in wrong if o.equivalence == "counterexample"]
    in_base = [o for o in fixed + wrong if o.gate == "counterexample_in_base"]
    met = lambda ok: "met" if ok else "**missed**"  # noqa: E731
    lines = [
        f"{len(fixed)} correct fixes (fix.diff), {len(rewrites)} equivalent rewrites, {len(wrong)} wrong-but-test-passing "
        f"patches ({len(crash)} of them crash-introducing); {seconds:.0f} s in all, one case at a time.",
        "",
        "| check | cases | false alarms (target 0) | caught (target >= 70%) | s per changed function median / p90 (target < 10) |",
        "|---|---:|---:|---:|---:|",
        f"| fix gate on correct fixes | {len(fixed)} | {len(fa_fixed)} | - | "
        f"{_times([s for o in fixed for s in o.gate_seconds])} |",
        f"| fix gate on equivalent rewrites | {len(rewrites)} | {len(fa_rewrite_gate)} | - | "
        f"{_times([s for o in rewrites for s in o.gate_seconds])} |",
        f"| fix gate on wrong patches (all) | {len(wrong)} | - | {_rate(len(caught_gate), len(wrong))} | "
        f"{_times([s for o in wrong for s in o.gate_seconds])} |",
        f"| fix gate on wrong patches (crash-introducing) | {len(crash)} | - | {_rate(len(caught_gate_crash), len(crash))} | - |",
        f"| equivalence on equivalent rewrites | {len(rewrites)} | {len(fa_rewrite_equiv)} | - | "
        f"{_times([s for o in rewrites for s in o.equivalence_seconds])} |",
        f"| equivalence on wrong patches (vs the fixed program) | {len(wrong)} | - | {_rate(len(caught_equiv), len(wrong))} | "
        f"{_times([s for o in wrong for s in o.equivalence_seconds])} |",
        "",
        f"False alarms: {len(fa_fixed) + len(fa_rewrite_gate) + len(fa_rewrite_equiv)} "
        f"({met(not (fa_fixed or fa_rewrite_gate or fa_rewrite_equiv))}). "
        f"Catch rate, equivalence portfolio: {_rate(len(caught_equiv), len(wrong))} "
        f"({met(wrong and len(caught_equiv) / len(wrong) >= TARGETS['catch_rate'])}); "
        f"fix gate: {_rate(len(caught_gate), len(wrong))} "
        f"({met(wrong and len(caught_gate) / len(wrong) >= TARGETS['catch_rate'])}). "
        f"Median seconds per changed function: gate {_median(gate_times)}, equivalence {_median(equiv_times)} "
        f"({met(all(median(t) < TARGETS['median_seconds'] for t in (gate_times, equiv_times) if t))}).",
        f"Crashes the gate found that the base program has too (reported, not rejections): {len(in_base)}.",
    ]
    missed = [o for o in wrong if o.gate != "counterexample"]
    if missed:
        lines.append("Wrong patches the gate let through: " + "; ".join(f"{o.name} [{o.gate}]" for o in missed) + ".")
    missed_equiv = [o for o in wrong if o.equivalence != "counterexample"]
    if missed_equiv:
        lines.append("Wrong patches equivalence missed: " + "; ".join(f"{o.name} [{o.equivalence}]" for o in missed_equiv) + ".")
    for o in fa_fixed + fa_rewrite_gate + fa_rewrite_equiv:
        lines.append(f"FALSE ALARM {o.group} {o.name}: gate {o.gate_detail} | equivalence {o.equivalence_detail}")
    invalid = [o for o in outcomes if o.invalid]
    if invalid:
        lines.append("Left out (the bench could not confirm the case): " + "; ".join(f"{o.group} {o.name}: {o.invalid}" for o in invalid) + ".")
    return "\n".join(lines)


def _median(values: list[float]) -> str:
    return f"{median(values):.1f}" if values else "-"


def _times(values: list[float]) -> str:
    return f"{median(values):.1f} / {percentile(values, 0.9):.1f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[], help="bug names to run (repeatable)")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--skip-fixed", action="store_true", help="leave out the correct-fix pass over every bug")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    args = parser.parse_args()
    bugs = {b.name: b for b in corpus.load_bugs()}
    only = set(args.only)
    plan: list[tuple[str, dict]] = []
    if not args.skip_fixed:
        plan += [("fixed", {"bug": name}) for name in sorted(bugs) if not only or name in only]
    plan += [("rewrite", c) for c in REWRITES if not only or c["bug"] in only]
    plan += [("wrong", c) for c in WRONG if not only or c["bug"] in only]
    started = time.monotonic()
    outcomes = []
    for number, (kind, case) in enumerate(plan, 1):
        with tempfile.TemporaryDirectory(prefix="suture-bench-verify-") as tmp:
            outcome = run_case(kind, case, bugs[case["bug"]], Path(tmp))
        outcomes.append(outcome)
        print(f"[{number}/{len(plan)}] {kind} {outcome.name}: gate {outcome.gate or '-'} "
              f"{[round(s, 1) for s in outcome.gate_seconds]} equivalence {outcome.equivalence or '-'}"
              f"{' INVALID ' + outcome.invalid if outcome.invalid else ''}", file=sys.stderr, flush=True)
    text = report(outcomes, time.monotonic() - started)
    print(text)
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))
    if not args.no_results:
        append_results("Bounded verifier (fix gate and equivalence portfolio)", text)


if __name__ == "__main__":
    main()
