"""Defences of the test oracle against a patch that games it rather than fixing the bug.

A patch runs inside the process that judges it: code imported by the tests can rewrite
pytest's reports (`_pytest.reports.TestReport`), its hooks, `sys.modules`, `builtins`, the
environment, or run programs and git. Two defences, neither trusting the candidate's process:

- **Named risks, before any code runs.** The code a patch adds (in any Python file it
  changes) is read as an AST and compared with the base version of the same file: a
  construct of the kinds below that the base does not have is a risk by that name, and a
  candidate with one is rejected unless the user allows that name (`--allow-risk NAME`,
  or `all`). Counting against the base keeps a fix of a line that already ran `subprocess`
  from being flagged.
- **A sentinel test that must fail** runs in every gate run (tools/testing/testrun.py `sentinel`):
  generated into the scratch tree outside the project's tests, with a name and a body the
  patch cannot know, selected explicitly and collected last. If it "passes", or pytest exits 0
  although it failed, the run's results were rewritten: the candidate is rejected for
  tampering with the tests.

What is not used: the results plugin's records, pytest's JUnit XML and its exit status are
all written from the same in-process reports a patched TestReport falsifies, so checking one
against another finds nothing; the sentinel's known outcome is the evidence from outside.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["RISKS", "allow", "allowed", "blocked_candidates", "blocking", "added_risks", "risk_message", "sentinel_message"]

_allowed: tuple[str, ...] = ()


def check_names(names: Sequence[str]) -> tuple[str, ...]:
    """`names` as given to --allow-risk; ValueError for an unknown one."""
    unknown = [n for n in names if n not in RISKS and n != "all"]
    if unknown:
        raise ValueError(f"unknown risk {unknown[0]!r} for --allow-risk; use one of: {', '.join([*RISKS, 'all'])}.")
    return tuple(names)


def allow(names: Sequence[str]) -> None:
    """The risk names a run lets through (its options' `allow_risks`), process-wide for its gates;
    ValueError for an unknown one."""
    global _allowed
    _allowed = check_names(names)


def allowed() -> tuple[str, ...]:
    return _allowed

# name -> what it means, for the report
RISKS = {
    "pytest_internals": "imports or patches pytest's internals or hooks",
    "sys_modules": "reads or rewrites sys.modules",
    "builtins": "patches builtins",
    "os_environ": "changes the process environment",
    "subprocess": "starts programs (subprocess, os.system, os.exec*, os.spawn*)",
    "git": "runs or imports git",
}

_MODULE_RISKS = {
    "_pytest": "pytest_internals", "pytest": "pytest_internals", "pluggy": "pytest_internals",
    "builtins": "builtins", "__builtin__": "builtins",
    "subprocess": "subprocess", "pty": "subprocess",
    "git": "git", "pygit2": "git", "dulwich": "git",
}
_OS_PROGRAM_CALLS = {"system", "popen", "posix_spawn", "posix_spawnp", "fork", "forkpty"}
_OS_ENV = {"environ", "putenv", "unsetenv", "environb"}


def _signatures(source: str) -> Counter:
    """(risk, what) for each risky construct of `source`."""
    found: Counter = Counter()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                risk = _MODULE_RISKS.get(alias.name.split(".")[0])
                if risk:
                    found[(risk, f"import {alias.name}")] += 1
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            head = node.module.split(".")[0]
            risk = _MODULE_RISKS.get(head)
            if risk:
                found[(risk, f"from {node.module} import ...")] += 1
            elif head == "os" and any(a.name in _OS_ENV for a in node.names):
                found[("os_environ", "from os import environ")] += 1
            elif head == "os" and any(a.name in _OS_PROGRAM_CALLS or a.name.startswith(("exec", "spawn"))
                                      for a in node.names):
                found[("subprocess", "from os import a program launcher")] += 1
            elif head == "sys" and any(a.name == "modules" for a in node.names):
                found[("sys_modules", "from sys import modules")] += 1
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base, attr = node.value.id, node.attr
            if base == "sys" and attr == "modules":
                found[("sys_modules", "sys.modules")] += 1
            elif base == "os" and attr in _OS_ENV:
                found[("os_environ", f"os.{attr}")] += 1
            elif base == "os" and (attr in _OS_PROGRAM_CALLS or attr.startswith(("exec", "spawn"))):
                found[("subprocess", f"os.{attr}")] += 1
        elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__import__"):
            found[("builtins", node.id)] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("pytest_"):
            found[("pytest_internals", f"def {node.name}")] += 1  # a hook implementation
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if text == "git" or text.startswith("git ") or "/.git" in text or text.startswith(".git"):
                found[("git", f"the string {text[:30]!r}")] += 1
    return found


def added_risks(before: str | None, after: str) -> dict[str, list[str]]:
    """Risk name -> the constructs `after` has more of than `before` (None: a new file)."""
    try:
        new = _signatures(after)
    except (SyntaxError, ValueError):
        return {}
    try:
        old = _signatures(before) if before is not None else Counter()
    except (SyntaxError, ValueError):
        old = Counter()
    risks: dict[str, list[str]] = {}
    for (risk, what), count in new.items():
        if count > old.get((risk, what), 0):
            risks.setdefault(risk, []).append(what)
    return risks


def blocking(files: Iterable[tuple[str, str | None, str]], allowed: Sequence[str] = ()) -> dict[str, list[str]]:
    """The risks of a patch that block it: `files` are (path, base source or None, new source) of
    its changed Python files; `allowed` the names the user let through (`all`: every one)."""
    if "all" in allowed:
        return {}
    found: dict[str, list[str]] = {}
    for path, before, after in files:
        for risk, whats in added_risks(before, after).items():
            if risk not in allowed:
                found.setdefault(risk, []).extend(f"{path}: {w}" for w in whats)
    return found


def risk_message(found: dict[str, list[str]]) -> str:
    """One sentence for the candidate's verdict (and the planner)."""
    parts = [f"{name} (the patch {RISKS[name]}: {', '.join(whats[:2])})" for name, whats in sorted(found.items())]
    names = ",".join(sorted(found))
    return (f"blocked by a named risk: {'; '.join(parts)}; suture does not deliver such a patch unless "
            f"--allow-risk {names} says so.")


def sentinel_message(state: str) -> str:
    if state == "passed":
        return f"{TAMPER_PREFIX}: suture's sentinel test, which must fail, passed in the same run."
    return f"{TAMPER_PREFIX}: pytest exited 0 although suture's sentinel test failed in the same run."


TAMPER_PREFIX = "rejected: the candidate tampers with the tests"


def blocked_candidates(verdicts: Iterable) -> list[dict[str, str]]:
    """For the report: each candidate stopped by a named risk or caught tampering, and why."""
    return [{"candidate": v.candidate_id, "reason": v.message} for v in verdicts
            if getattr(v, "stage", "") == "risk" or str(getattr(v, "message", "")).startswith(TAMPER_PREFIX)]
