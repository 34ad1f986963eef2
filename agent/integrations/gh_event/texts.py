"""The texts the Action writes: the draft pull request's body, the comment when nothing passed, the
commit message. GitHub-flavoured Markdown, clipped to GitHub's size limit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from suture.agent.integrations.gh_event.event import Trigger

__all__ = ["commit_message", "diff_summary", "failure_comment", "optimize_failure_comment", "optimize_pull_body",
           "pull_body", "run_link"]

BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
PATCH_SHOWN = 20_000


def pull_body(trigger: Trigger, report: dict[str, Any], env: Mapping[str, str]) -> str:
    tests = report.get("tests") or {}
    after = tests.get("after") or {}
    verification = report.get("verification") or {}
    confidence = report.get("confidence") or {}
    lines = [
        f"Closes #{trigger.issue}",
        "",
        f"suture's patch for #{trigger.issue}, found by the {_engine(report)}. "
        "A draft: review it before you merge.",
        "",
        report.get("explanation", ""),
        "",
        "### Diff summary",
        "",
        *diff_summary(report.get("patch", "")),
        "",
        "### Evidence (every gate passed)",
        "",
        f"- Tests before: {_list(tests.get('failing_before'))} failing, "
        f"{tests.get('passing_before', 0)} passing" + (f", flaky and left out: {_list(tests.get('flaky'))}"
                                                        if tests.get("flaky") else "") + ".",
        f"- Tests after: fixed {_list(after.get('fixed'))}; still failing {_list(after.get('still_failing'))}; "
        f"regressions {_list(after.get('regressions'))}.",
        f"- Bounded verifier: {_verifier(verification)}.",
    ]
    if confidence:
        lines.append(f"- Confidence: {confidence.get('value', 0):.2f}"
                     + (f" ({'; '.join(confidence.get('reasons') or [])})" if confidence.get("reasons") else "") + ".")
    if report.get("risks"):
        lines.append(f"- Overfitting risk: {', '.join(report['risks'])}; review with care.")
    return _clip("\n".join(lines + _closing(report, env, "gated")))


def _closing(report: dict[str, Any], env: Mapping[str, str], judged: str) -> list[str]:
    """The end of a pull request's body: the cost line of its evidence, the patch, where the run record is."""
    cost = report.get("cost") or {}
    return [f"- Cost: ${float(cost.get('usd') or 0):.4f}, {cost.get('tokens', 0)} tokens; "
            f"{report.get('candidates_tried', 0)} candidate(s) {judged} in {report.get('seconds', 0)} s.",
            "", *_patch_block(report.get("patch", "")), "",
            "Re-running suture on the issue updates this pull request."
            + run_link(env, " The run's report (report.html) and record are an artifact of {}.")]


def failure_comment(report: dict[str, Any], env: Mapping[str, str]) -> str:
    tests = report.get("tests") or {}
    verification = report.get("verification") or {}
    lines = [
        "suture found no patch that passes every gate, so it opened no pull request.",
        "",
        f"- Tried: {report.get('candidates_tried', 0)} candidate(s) from the {_engine(report)} "
        f"in {report.get('seconds', 0)} s.",
        f"- Failing tests at the base commit: {_list(tests.get('failing_before'))}.",
        f"- Why it stopped: {report.get('stopped_because') or 'no candidate passed'}.",
        f"- Bounded verifier: {verification.get('reason') or _verifier(verification)}.",
    ]
    partial = report.get("best_partial")
    if partial:
        lines.append(f"- Closest candidate (not passing): {partial.get('description') or 'see the run record'}; "
                     f"fixed {len(partial.get('fixed') or [])}, still failing {len(partial.get('still_failing') or [])}, "
                     f"regressions {len(partial.get('regressions') or [])}.")
    plausible = report.get("plausible")
    if plausible:
        lines += ["", "A patch passed every gate but its evidence is weak, so it is shown, not proposed:", "",
                  *_patch_block(plausible.get("patch", ""))]
    advice = ("A test that fails because of the bug gives suture something to repair against." if not tests.get(
        "failing_before") else "The rule engine's templates did not reach this bug; a model (the `model` input) "
        "can go further." if report.get("engine") == "rules" else "")
    lines += ["", (advice + run_link(env, " Run report (report.html) and record: an artifact of {}.")).strip()]
    return _clip("\n".join(lines))


def optimize_pull_body(trigger: Trigger, report: dict[str, Any], env: Mapping[str, str]) -> str:
    lines = [f"Closes #{trigger.issue}", "",
             f"suture's performance edit(s) for #{trigger.issue}. A draft: review it before you merge.", "",
             "### Diff summary", "", *diff_summary(report.get("patch", "")), "",
             "### Evidence (every gate passed)", ""]
    for edit in report.get("edits") or []:
        equivalence = edit.get("equivalence") or {}
        said = ", ".join(f"{name} {str(verdict).replace('_', ' ')}" for name, verdict in equivalence.items() if verdict)
        lines.append(f"- {edit.get('description') or edit.get('rule')} in `{edit.get('path')}` "
                     f"(`{edit.get('function')}`): {float(edit.get('speedup') or 0):.2f}x faster, median of "
                     f"interleaved fresh-process runs, 95% CI {float(edit.get('ci_low') or 0):.2f}-"
                     f"{float(edit.get('ci_high') or 0):.2f}" + (f"; equivalence: {said}" if said else "") + ".")
    tests = report.get("tests") or {}
    if tests.get("ran"):
        lines.append(f"- Tests: the {tests.get('passing_before', 0)} passing test(s) still pass with every edit.")
    elif tests.get("note"):
        lines.append(f"- Tests: {tests['note']}")
    return _clip("\n".join(lines + _closing(report, env, "judged")))


def optimize_failure_comment(report: dict[str, Any], env: Mapping[str, str]) -> str:
    tried = report.get("candidates") or []
    lines = ["suture found no edit that is both equivalent and significantly faster, so it opened no pull request.", "",
             f"- Tried: {report.get('candidates_tried', 0)} candidate(s) in {report.get('seconds', 0)} s.",
             f"- Why it stopped: {report.get('stopped_because') or report.get('status', '').replace('_', ' ')}."]
    for candidate in tried[:5]:
        if isinstance(candidate, dict):
            lines.append(f"- {candidate.get('description') or candidate.get('id', '?')}: "
                         f"{candidate.get('reason') or ('kept' if candidate.get('accepted') else 'rejected')}.")
    lines += ["", run_link(env, "Run report (report.html) and record: an artifact of {}.")]
    return _clip("\n".join(lines).strip())


def diff_summary(patch: str) -> list[str]:
    """One line per changed file: `path` +added -removed."""
    counts: dict[str, list[int]] = {}
    current = None
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            current = line.split(" b/", 1)[-1]
            counts[current] = [0, 0]
        elif current is None or line.startswith(("+++ ", "--- ")):
            continue
        elif line.startswith("+"):
            counts[current][0] += 1
        elif line.startswith("-"):
            counts[current][1] += 1
    return [f"- `{path}` +{added} -{removed}" for path, (added, removed) in counts.items()] or ["- (no file)"]


def commit_message(trigger: Trigger, report: dict[str, Any]) -> str:
    what = report.get("explanation") or "\n".join(
        f"- {e.get('description')} ({e.get('function')}): {float(e.get('speedup') or 0):.2f}x"
        for e in report.get("edits") or [])
    verb = "fix" if trigger.command == "fix" else "speed up"
    return (f"suture: {verb} #{trigger.issue}\n\n{what}\n\n"
            f"Issue: #{trigger.issue}\nRun: {Path(str(report.get('run_dir', ''))).name}\n")


def _patch_block(patch: str) -> list[str]:
    shown = patch if len(patch) <= PATCH_SHOWN else patch[:PATCH_SHOWN] + "\n... (cut; the full patch is in the run record)\n"
    fence = "````" if "```" in shown else "```"
    return ["<details><summary>Patch</summary>", "", f"{fence}diff", shown.rstrip("\n"), fence, "", "</details>"]


def _engine(report: dict[str, Any]) -> str:
    engine = str(report.get("engine") or "rules")
    return {"rules": "offline rule engine", "model": "model", "rules+model": "rule engine and the model"}.get(
        engine, engine)


VERDICT_WORDS = {
    "exhausted": "every path of the changed functions explored, no new crash or contract violation",
    "no_counterexample_within_bound": "no new crash or contract violation within its bound (not a proof)",
    "counterexample_in_base": "a failure it found fails the base commit alike (not brought in by the patch)",
    "not_run": "not run",
}


def _verifier(verification: dict[str, Any]) -> str:
    verdict = str(verification.get("verdict") or "not_run")
    words = VERDICT_WORDS.get(verdict, verdict.replace("_", " "))
    detail = verification.get("reason") or "; ".join(
        f"`{f.get('function')}`: {str(f.get('verdict', '')).replace('_', ' ')}"
        for f in verification.get("functions") or [] if isinstance(f, dict) and f.get("function"))
    return words + (f" ({detail})" if detail else "")


def _list(items: Any) -> str:
    items = list(items or [])
    if not items:
        return "none"
    shown = ", ".join(f"`{item}`" for item in items[:10])
    return shown + (f" and {len(items) - 10} more" if len(items) > 10 else "")


def _clip(text: str) -> str:
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "\n\n(cut at GitHub's size limit)"


def run_link(env: Mapping[str, str], template: str) -> str:
    server, repository, run_id = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if not (server and repository and run_id):
        return ""
    return template.format(f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}")
