"""Judging one optimize candidate: the correctness gates (agent/optimize/equivalence.py: tests, replay), then
the clock (interleaved runs, tools/perf/timing.py), then the bounded verifier on a candidate worth keeping,
callgrind's instruction count, the user's say with --interactive, and stacking an accepted edit onto `best`.

Why the bounded verifier comes after the clock: it is time-bounded (Hypothesis, then CrossHair until
--verify-seconds per changed function), and it uses about all of that (CrossHair searches until the limit), so
--verify-seconds of CPU a candidate, while most rule candidates (a method alias, a comprehension) are not
significantly faster and are rejected by the clock anyway. It runs when the round chooses (settle): on its
significant candidates fastest first, until one passes -- that one is kept, so a round with several
significant candidates verifies the one it keeps (and any faster one the verifier refutes), not each of them.
Every kept edit passes it as before; a candidate the clock rejects, or one a faster candidate of its round
beat, is reported as such, its verifier not run (unless the user is asked about it, or the round stacks it as
a near miss: verify_late)."""

from __future__ import annotations

import ast
import dataclasses
import sys
import time
from pathlib import Path

from suture.agent.gates.verdict import Candidate
from suture.agent.optimize.bench import Bench
from suture.agent.optimize.equivalence import bounded_equivalence, gate
from suture.agent.optimize.report import best_text
from suture.agent.optimize.state import Judged, OptimizeState
from suture.tools.git.diffs import text_diff

def judge_candidate(state: OptimizeState, bench: Bench, proposal: Candidate) -> Judged:
    """Gate and time one candidate against `best`; `accepted` on the result means it may be kept
    (significant, and not turned down by the user): the round keeps the best of those (keep_best)."""
    started = time.monotonic()
    state.progress.stage(f"judging {proposal.source} on {', '.join(q for _, q in proposal.functions)}")
    try:
        judged = judge(state, bench, proposal)
        if judged.stage == "measured" and state.options.interactive:
            ask_user(state, judged)
    finally:
        restore(state, proposal)
    judged.seconds = time.monotonic() - started
    state.judged.append(judged)
    state.log("candidate", **judged.summary(), diff=judged.diff)
    state.progress.update(len(state.judged), best_text(state))
    return judged


def keep_best(state: OptimizeState, bench: Bench, eligible: list[Judged]) -> Judged | None:
    """Of a round's significant candidates, keep the one with the largest median speed-up that the bounded
    verifier does not refute (settle) and stack it onto `best`; the others are set aside with the reason (the
    next round re-proposes what still applies)."""
    chosen = settle(state, eligible)
    if chosen is None:
        return None
    for other in eligible:
        if other is not chosen:
            other.accepted = False
            other.reason += (f"; significant, but {chosen.proposal.id} was faster "
                             f"({chosen.timing['speedup']:.2f}x) and was kept in this round")
    for path, text in chosen.proposal.files.items():  # callgrind counts the chosen one in the scratch tree
        (state.scratch / path).parent.mkdir(parents=True, exist_ok=True)
        (state.scratch / path).write_text(text, encoding="utf-8")
    try:
        count_instructions(state, bench, chosen)
    finally:
        restore(state, chosen.proposal)
    for path, text in chosen.proposal.files.items():
        if path not in state.changed:  # what the gates apply the stacked edits to
            base = state.best / path
            state.base_texts[path] = base.read_text(encoding="utf-8") if base.is_file() else None
        (state.best / path).write_text(text, encoding="utf-8")
        state.changed.add(path)
    state.log("kept", candidate=chosen.proposal.id, over=[j.proposal.id for j in eligible if j is not chosen],
              instructions_ratio=chosen.instructions_ratio)
    state.progress.update(len(state.judged), best_text(state))
    return chosen


def judge(state: OptimizeState, bench: Bench, proposal: Candidate) -> Judged:
    best, cand = state.best, state.scratch
    diff = "".join(file_diff(best, path, text) for path, text in proposal.files.items())
    judged = Judged(proposal, "parse", "", diff=diff)
    if not diff:
        judged.reason = "the edit changes nothing"
        return judged
    for path, text in proposal.files.items():
        if path.endswith(".py"):
            try:
                ast.parse(text)
            except SyntaxError as error:
                judged.reason = f"{path} does not parse after the edit: {error.msg} (line {error.lineno})"
                return judged
    if not gate(state, bench, proposal, judged):  # the tests, replay and bounded equivalence
        return judged
    for path, text in proposal.files.items():  # timed in the scratch tree: `best` plus this candidate
        (cand / path).parent.mkdir(parents=True, exist_ok=True)
        (cand / path).write_text(text, encoding="utf-8")

    judged.stage = "timing"
    from suture.tools.perf.timing import TimingError, compare

    if state.left() < 5:
        judged.reason = "no time left to measure it"
        return judged
    try:
        left = max(10.0, state.left())  # the whole comparison within the run's time, not each run
        # A CI straddling the bar gets twice the rounds when time allows (timing.py: sequential rounds).
        result = compare(timed_runner(bench, best), timed_runner(bench, cand, keeps=False), rounds=state.options.rounds,
                         time_limit=left, budget=left, extend_to=2 * state.options.rounds, pool=state.warm)
    except TimingError as error:
        judged.reason = f"timing failed: {error}"
        return judged
    judged.timing = result.to_dict()
    if result.outputs_differ:
        judged.equivalence["output"] = "differs"
        judged.reason = "the bench printed different output with the edit"
        return judged
    judged.stage = "measured"
    judged.accepted = bool(result.significant)
    judged.reason = (f"{result.speedup:.2f}x (95% CI {result.ci_low:.2f}-{result.ci_high:.2f})"
                     + ("" if result.significant else f", not significant (needs a CI above {result.threshold:.2f}x)"))
    if state.options.interactive:  # the user sees every gate's verdict before answering
        verify_late(state, judged)
    else:  # a significant one is verified if its round would keep it (settle)
        judged.equivalence["verifier"] = "not_run"
    return judged


def settle(state: OptimizeState, eligible: list[Judged]) -> Judged | None:
    """The fastest of a round's significant candidates that the bounded verifier does not refute, or None.
    The verifier runs on them fastest first and stops at the first that passes: the one the round keeps.
    A refuted one leaves `eligible` (verify_late rejected it); the slower ones stay unverified."""
    for judged in sorted(eligible, key=lambda j: (j.timing or {}).get("speedup") or 0.0, reverse=True):
        if verify_late(state, judged):
            return judged
        eligible.remove(judged)
    return None


def verify_late(state: OptimizeState, judged: Judged) -> bool:
    """The bounded verifier (agent/optimize/equivalence.py) on a measured candidate, in `scratch` with its
    files (`best` plus the candidate, the tree the gates judged); a counterexample rejects it. Whether it
    passed. Runs once per candidate."""
    if judged.equivalence.get("verifier") not in (None, "not_run"):
        return judged.equivalence["verifier"] != "counterexample"
    written = []
    try:
        for path, text in judged.proposal.files.items():
            target = state.scratch / path
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                written.append(path)
        verdict, reason = bounded_equivalence(state, judged.proposal, state.scratch)
    finally:
        if written:
            restore(state, dataclasses.replace(judged.proposal, files={p: judged.proposal.files[p] for p in written}))
    judged.equivalence["verifier"] = verdict
    state.log("verified", candidate=judged.proposal.id, verdict=verdict)
    if verdict != "counterexample":
        return True
    judged.stage, judged.accepted, judged.reason = "verifier", False, reason
    return False


def timed_runner(bench: Bench, tree: Path, keeps: bool = True):
    """bench.runner(tree), for a function target with a folder where the first timed process keeps the
    workload's inputs for the others (tools/perf/inputs.py): make_input then runs once per comparison,
    not once per process, which under load was most of a comparison's wall time. Only the base's processes
    (`keeps`) may write there: the candidate's code may be a model's, and must not choose the inputs the
    base is timed on; it reads them (as plain data only, inputs._PlainUnpickler)."""
    runner = bench.runner(tree)
    if bench.kind != "function":
        return runner
    from suture.tools.perf.inputs import INPUTS_ENV
    from suture.tools.testing.sandbox import private_scratch_root

    folder = private_scratch_root() / "inputs"
    folder.mkdir(exist_ok=True)
    return dataclasses.replace(runner, env={**(runner.env or {}), INPUTS_ENV: str(folder)},
                               writable=(folder,) if keeps else runner.writable)


def restore(state: OptimizeState, proposal: Candidate) -> None:
    for path in proposal.files:
        source = state.best / path
        target = state.scratch / path
        if source.exists():
            target.write_bytes(source.read_bytes())
        elif target.exists():
            target.unlink()


def file_diff(tree: Path, path: str, text: str) -> str:
    old = (tree / path).read_text(encoding="utf-8") if (tree / path).exists() else ""
    return text_diff(path, old, text)


def count_instructions(state: OptimizeState, bench: Bench, judged: Judged) -> None:
    from suture.tools.perf import callgrind

    if not state.options.callgrind or not callgrind.available() or state.left() < 30:
        return
    # valgrind runs ~50x slower: a function target is counted at a quarter of the timed scale
    # (the ratio's direction is what is compared, not its size).
    small = dataclasses.replace(bench, scale=max(1, bench.scale // 4)) if bench.kind == "function" else bench
    limit = min(60.0, state.left() / 4)
    base = callgrind.instruction_count(small.runner(state.best), time_limit=limit)
    cand = callgrind.instruction_count(small.runner(state.scratch), time_limit=limit) if base else None
    if not base or not cand:
        return
    judged.instructions_ratio = round(base / cand, 3)
    # Instructions are deterministic; a wall-clock win the instruction count does not show is suspect.
    judged.callgrind_disagrees = judged.instructions_ratio < 1.0
    if judged.callgrind_disagrees:
        state.notes.append(f"{judged.proposal.id}: the wall clock says {judged.timing['speedup']:.2f}x faster but "
                           f"callgrind counts {1 / judged.instructions_ratio:.2f}x more instructions.")


def ask_stdin(question: str) -> str | None:
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")


def ask_user(state: OptimizeState, judged: Judged) -> None:
    t = judged.timing or {}
    text = (f"\n--- candidate {judged.proposal.id} ({judged.proposal.source}): {judged.proposal.description}\n"
            f"{judged.diff}"
            f"speed-up {t.get('speedup', 0):.2f}x, 95% CI {t.get('ci_low', 0):.2f}-{t.get('ci_high', 0):.2f}"
            f" ({'significant' if t.get('significant') else 'not significant'}); equivalence: "
            + ", ".join(f"{k} {v}" for k, v in judged.equivalence.items())
            + "\n[a]ccept, [r]eject, or type guidance for the model's next round "
            f"(Enter: {'accept' if judged.accepted else 'reject'}): ")
    answer = state.ask(text)
    state.log("interactive", candidate=judged.proposal.id, answer=answer)
    if answer is None or not answer.strip():
        return
    word = answer.strip().lower()
    if word in ("a", "accept", "y", "yes"):
        judged.accepted = True
        judged.reason += "; accepted by the user"
    elif word in ("r", "reject", "n", "no"):
        judged.accepted = False
        judged.reason += "; rejected by the user"
    else:
        judged.accepted = False
        judged.guidance = answer.strip()
        judged.reason += "; rejected by the user with guidance for the model"
        state.guidance.append(answer.strip())
