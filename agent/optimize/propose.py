"""Candidate edits for optimize: the offline rewrite rules on the hot functions, then the model's
SEARCH/REPLACE edits (told what was tried and why it failed, and the user's guidance)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Callable

from suture import prompts
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.gates.verdict import Candidate
from suture.agent.optimize.state import OptimizeState
from suture.agent.options import OptimizeOptions
from suture.tools.git import cmd as gitcmd
from suture.tools.llm.client import LLMError, head_tail, python_blocks

def rule_proposals(state: OptimizeState, places: list[tuple[str, str]]):
    from suture.agent.optimize.perf_rules import rewrites

    seen: set[str] = set()
    for path, function in places:
        try:
            text = (state.best / path).read_text(encoding="utf-8")
        except OSError:
            continue
        evidence = {q: record for (p, q), record in state.types.items() if p == path and record}
        for rewrite in rewrites(path, text, function, evidence):
            if rewrite.new_source in seen:
                continue
            seen.add(rewrite.new_source)
            yield Candidate(f"c{len(state.judged) + 1}", source=rewrite.rule, description=rewrite.description,
                            files={path: rewrite.new_source}, functions=[(path, rewrite.function)], path=path,
                            symbol=rewrite.function, meta={"evidence": list(rewrite.evidence)})


def combined_proposal(state: OptimizeState, judged: list, check: Callable[[Any], bool] | None = None) -> Candidate | None:
    """The round's near misses stacked into one candidate, when none was significant alone: rule candidates
    measured faster than the base (median over 1.0) whose interval reaches the bar, the fastest first, each
    further rule re-applied to the text the earlier ones left (so each still checks its own preconditions
    there). Two gains under the bar can clear it together; the stack is gated and timed afresh like any
    candidate (a new comparison, not the sum of the old ones), so picking by the first measurements biases
    nothing it is judged on. `check` (agent/optimize/measure.verify_late) must pass for a near miss to be
    stacked: the clock came before the bounded verifier. None with fewer than two rules that stack."""
    from suture.agent.optimize.perf_rules import rewrites

    near = near_misses(judged)
    if len(near) >= 2 and check is not None:
        near = [j for j in near if check(j)]
    if len(near) < 2:
        return None
    files, functions, rules = dict(near[0].proposal.files), list(near[0].proposal.functions), [near[0].proposal.source]
    for other in near[1:]:
        texts = dict(files)
        for path, function in other.proposal.functions:
            if path not in texts:
                texts[path] = other.proposal.files.get(path) or ""
                continue  # another file: the other candidate's own text of it
            evidence = {q: record for (p, q), record in state.types.items() if p == path and record}
            again = [r for r in rewrites(path, texts[path], function, evidence) if r.rule == other.proposal.source]
            if not again:
                break
            texts[path] = again[0].new_source
        else:
            files = texts
            functions += [f for f in other.proposal.functions if f not in functions]
            rules.append(other.proposal.source)
    if len(rules) < 2:
        return None
    first = functions[0]
    # Named by its rules ("a+b"): the report's kept rule says what was stacked.
    return Candidate(f"c{len(state.judged) + 1}", source="+".join(rules), files=files, functions=functions, path=first[0],
                     symbol=first[1], description=f"the round's near misses together: {' + '.join(rules)}",
                     meta={"rules": rules, "evidence": [e for j in near for e in j.proposal.meta.get("evidence", [])]})


def near_misses(judged: list) -> list:
    """The measured rule candidates combined_proposal may stack, the fastest first (before the verifier)."""
    return sorted((j for j in judged if j.stage == "measured" and j.timing and j.proposal.source != "model"
                   and "+" not in j.proposal.source
                   and j.timing["speedup"] > 1.0 and j.timing["ci_high"] >= j.timing["threshold"]),
                  key=lambda j: -j.timing["speedup"])


def model_client(options: OptimizeOptions):
    if not options.model:
        return None
    from suture.tools.llm.client import make_client

    try:
        client = make_client(options.model, api_base=options.api_base, max_cost=options.max_cost)
    except LLMError as error:
        raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None
    if options.resume_from is not None:  # `suture optimize --resume`: the recorded answers first
        from suture.agent.playback import PlaybackClient

        client = PlaybackClient(options.resume_from, client, max_cost=options.max_cost)
    return client


def ask_model(state: OptimizeState, user: str) -> str:
    messages = [{"role": "system", "content": prompts.render("optimize_system")}, {"role": "user", "content": user}]
    from suture.agent.propose.planner import reply_record

    reply = state.client.complete(messages, temperature=0.0, timeout=max(5.0, min(state.left(), 300.0)))
    # Logged as every model call of a run is (agent/playback.py plays them back for replay and --resume).
    state.log("model", prompt=user, **reply_record(reply))
    return reply.text or ""


def model_proposals(state: OptimizeState, places: list[tuple[str, str]], hot: list[dict[str, Any]]):
    from suture.tools.edits import EditFormatError, apply_edits, parse_edit_blocks

    path, function = places[0]
    rejected = [j for j in state.judged if not j.accepted][-4:]
    user = prompts.render(
        "optimize_edit", path=path, function=function, code=function_source(state.best, path, function),
        usage=callers_of(state.best, function), profile=profile_lines(hot) + types_lines(state.types),
        tried="\n".join(f"- {j.proposal.source} on {', '.join(q for _, q in j.proposal.functions)}: stopped at "
                        f"{j.stage} ({head_tail(j.reason, 300)})" for j in rejected) or "nothing yet",
        guidance="\n".join(f"- {g}" for g in state.guidance) or "none",
    )
    state.guidance.clear()
    state.progress.stage(f"asking the model to speed up {function}")
    text = ask_model(state, user)
    try:
        edits = parse_edit_blocks(text)
    except EditFormatError as error:
        state.notes.append(f"the model's answer was not SEARCH/REPLACE blocks: {error}")
        return
    if not edits:
        state.notes.append("the model proposed no edit")
        return
    results = apply_edits(state.scratch, edits)
    try:
        if not all(r.applied for r in results):
            state.notes.append("the model's edit did not apply: " + "; ".join(r.message for r in results if not r.applied))
            return
        files = {r.path: (state.scratch / r.path).read_text(encoding="utf-8") for r in results}
    finally:
        for r in results:  # the judge writes the files itself, from `best`
            source, target = state.best / r.path, state.scratch / r.path
            if source.exists():
                target.write_bytes(source.read_bytes())
    functions = [(p, q) for p, text_after in files.items() for q in changed_functions(
        (state.best / p).read_text(encoding="utf-8") if (state.best / p).exists() else "", text_after)]
    functions = functions or [(path, function)]
    yield Candidate(f"c{len(state.judged) + 1}", source="model", description=_first_line(text) or "the model's edit",
                    files=files, functions=functions, path=functions[0][0], symbol=functions[0][1])


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("```", "<<<<<<<", "=======", ">>>>>>>")) and not line.endswith(".py"):
            return head_tail(line, 160)
    return ""


def code_block(text: str) -> str:
    blocks = python_blocks(text)  # the longest: a model may show a snippet before the whole file
    return max(blocks, key=len) if blocks else text


def function_source(tree: Path, path: str, qualname: str) -> str:
    from suture.tools.verify.verifier import find_function

    text = (tree / path).read_text(encoding="utf-8", errors="replace")
    node = find_function(ast.parse(text), qualname)
    return (ast.get_source_segment(text, node, padded=True) or "") if node else text


def callers_of(tree: Path, function: str, limit: int = 8) -> str:
    """Lines of the repository that call `function` (by its bare name), for the model's context."""
    done = gitcmd.run(tree, "grep", "-n", "-w", "-F", function.rsplit(".", 1)[-1] + "(", text=True)
    lines = [line for line in done.stdout.splitlines() if " def " not in line and ":def " not in line]
    return "\n".join(head_tail(line, 200) for line in lines[:limit]) or "(no callers found)"


def profile_lines(hot: list[dict[str, Any]]) -> str:
    """The hot functions, each with its costliest lines (tools/perf/lines.py), for the model."""
    out = []
    for h in hot:
        out.append(f"{h['path']}::{h['function']}  {h['share'] * 100:.0f}% of the time "
                   f"(own {h['own_seconds']:.3f} s, in C {h['c_share'] * 100:.0f}%)")
        out.extend(f"    line {r['line']}: {r['share'] * 100:.0f}% of its samples  {head_tail(r['text'], 120)}"
                   for r in h.get("lines") or ())
    return "\n".join(out) or "(no profile)"


def types_lines(types: dict[tuple[str, str], dict[str, Any]]) -> str:
    """The recorded run-time types of the hot functions, for the model (what the rules read too)."""
    from suture.agent.optimize.perf_rules.evidence import function_evidence

    lines = []
    for (path, function), record in types.items():
        if record:
            _, sentences, varying = function_evidence(record)
            facts = list(sentences.values()) + [f"`{v}` varied between calls" for v in varying]
            if facts:
                lines.append(f"{path}::{function} run-time types: " + "; ".join(facts))
    return ("\n" + "\n".join(lines)) if lines else ""


def changed_functions(before: str, after: str) -> list[str]:
    def functions(text: str) -> dict[str, str]:
        found: dict[str, str] = {}

        def walk(nodes: list[ast.stmt], prefix: str) -> None:
            for node in nodes:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = prefix + node.name
                    if not isinstance(node, ast.ClassDef):
                        found[name] = ast.dump(node)
                    walk(node.body, name + ".")

        try:
            walk(ast.parse(text).body, "")
        except SyntaxError:
            pass
        return found

    old, new = functions(before), functions(after)
    changed = [name for name, dump in new.items() if old.get(name) != dump]
    # A changed nested function is verified through its outermost changed parent.
    return [n for n in changed if not any(n.startswith(p + ".") for p in changed if p != n)]
