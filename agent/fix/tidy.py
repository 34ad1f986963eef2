"""Deliver the chosen patch in its idiomatic form, when that form passes the same gates.

The rule engine writes what its templates build (`if not (v is not None):`); a maintainer writes
`if v is None:`. After the choice, the lines the patch adds are simplified
(agent/propose/simplify.py) and the simplified patch is gated again as a candidate of its own:
`x == True` and `x` differ for `x = 2`, so only a re-gated form may replace the chosen one. When
it does not pass, the patch is delivered as it was and the report says why. A form that is the same
code to Python (`not (v is not None)` -> `v is None`: simplify.py's `exact`) is delivered without the
gate, with the chosen patch's verdict: a re-gate could only repeat that verdict, and it once ran out
of time at the end of a run and left the machine-made form in place. When no time is left, any
other form stays as written.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suture.agent.fix.choose import Choice
from suture.agent.gates.validate import Candidate, GateVerdict, changed_lines
from suture.agent.propose.simplify import simplify_added
from suture.tools.edits import edit_between
from suture.tools.git import cmd as gitcmd
from suture.tools.git.diffs import PatchError, apply_patch, text_diff

__all__ = ["tidy_choice"]

MIN_SECONDS = 5.0  # below this, no re-gate is started: delivering on time comes first


def tidy_choice(
    choice: Choice,
    candidates: dict[str, Candidate],
    gate: Callable[[Candidate, float], GateVerdict],
    base_tree: Path,
    inside: str,
    seconds_left: float,
    log: Callable[..., Any] = lambda event, **data: None,
) -> Choice:
    """`choice` with its verdict replaced by the re-gated simplified patch's, when there is one that
    passes; `gate(candidate, seconds)` runs the gates on a candidate (and records it). `base_tree`
    is the checkout of the base commit at its top, `inside` the repository's folder in it."""
    chosen = choice.verdict
    files = _patched_files(base_tree, chosen.patch)
    if not files:
        return choice
    edits, changes, texts, exact = [], [], [], True
    for path, before, after in files:
        simplified = simplify_added(before, after) if path.endswith(".py") else None
        if simplified is not None and simplified.changes:
            changes += simplified.changes
            exact = exact and simplified.exact
            after = simplified.text
        edits.append(edit_between(_relative(path, inside), before, after))
        texts.append((path, before, after))
    if not changes:
        return choice
    said = "; ".join(changes)
    if seconds_left < MIN_SECONDS and not exact:
        return dataclasses.replace(choice, notes=[*choice.notes, f"not simplified ({said}): no time left to re-gate it"])
    original = candidates.get(chosen.candidate_id)
    candidate = Candidate(f"{chosen.candidate_id}-tidy", edits, getattr(original, "source", "rules"),
                          f"{getattr(original, 'description', chosen.candidate_id)}, simplified: {said}",
                          {"simplified_from": chosen.candidate_id, "simplified": changes},
                          path=getattr(original, "path", ""), line=getattr(original, "line", None),
                          symbol=getattr(original, "symbol", ""), risks=tuple(getattr(original, "risks", ())),
                          template=getattr(original, "template", ""))
    if exact:  # the same code to Python, so the chosen patch's verdict holds
        patch = "".join(f"diff --git a/{path} b/{path}\n" + text_diff(path, before, after) for path, before, after in texts)
        candidates[candidate.id] = candidate
        log("simplified", id=candidate.id, of=chosen.candidate_id, changes=changes, accepted=True,
            message="the same code to Python; not re-gated")
        return dataclasses.replace(choice, verdict=dataclasses.replace(chosen, candidate_id=candidate.id, patch=patch),
                                   notes=[*choice.notes, f"simplified ({said}) without a re-gate: the simplified "
                                          "form is the same code to Python"])
    verdict = gate(candidate, seconds_left)
    log("simplified", id=candidate.id, of=chosen.candidate_id, changes=changes, accepted=verdict.accepted,
        message=verdict.message)
    if not verdict.accepted:
        return dataclasses.replace(choice, notes=[*choice.notes, f"the simplified form ({said}) did not pass the "
                                                  f"gates ({verdict.message}); delivered as written"])
    candidates[candidate.id] = candidate
    return dataclasses.replace(choice, verdict=verdict,
                               notes=[*choice.notes, f"simplified ({said}) and re-gated: it passes every gate"])


def _relative(git_path: str, inside: str) -> str:
    """A path of `git diff` (from the checkout's top) as the edits take it (from the repository)."""
    prefix = inside.rstrip("/") + "/"
    return git_path[len(prefix):] if inside not in ("", ".") and git_path.startswith(prefix) else git_path


def _patched_files(base_tree: Path, patch: str) -> list[tuple[str, str, str]]:
    """(path, base text, patched text) of every file `patch` changes; [] when it adds, deletes,
    renames or changes a binary or unreadable file (then there is nothing to tidy safely)."""
    changes = changed_lines(patch)
    if not changes or any(c.binary or c.old_path is None or c.new_path != c.old_path for c in changes):
        return []
    try:
        before = {c.old_path: (base_tree / c.old_path).read_bytes().decode("utf-8") for c in changes}
    except (OSError, UnicodeDecodeError):
        return []
    with tempfile.TemporaryDirectory(prefix="suture-tidy-") as scratch:
        root = Path(scratch)
        # A repository of its own: `git apply` writes from the top of the work tree holding its
        # folder, and a temporary folder may lie inside someone's repository.
        try:
            gitcmd.git(root, "init", "-q")
        except gitcmd.GitError:
            return []
        for path, text in before.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(text.encode("utf-8"))
        try:
            apply_patch(root, patch)
        except PatchError:
            return []
        try:
            return [(path, text, (root / path).read_bytes().decode("utf-8")) for path, text in before.items()]
        except (OSError, UnicodeDecodeError):
            return []

