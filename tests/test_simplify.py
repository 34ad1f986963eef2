"""Simplifying what a patch adds (agent/propose/simplify.py), and the re-gate that decides whether the
simplified form is delivered (agent/fix/tidy.py)."""

from __future__ import annotations

import pytest

from suture.agent.fix.choose import Choice
from suture.agent.fix.select import confidence
from suture.agent.fix.tidy import MIN_SECONDS, tidy_choice
from suture.agent.gates.validate import Candidate, GateVerdict
from suture.agent.propose.simplify import simplify_added
from suture.tools.edits import apply_edits
from suture.tools.git.diffs import apply_patch, text_diff


def body(line: str) -> str:
    return f"def f(v, x, M):\n    value = 1\n{line}\n        return 1\n    return 2\n"


@pytest.mark.parametrize("before, after, expected", [
    ("    if v is not None:", "    if not (v is not None):", "    if v is None:"),
    ("    if x not in M:", "    if not (x not in M):", "    if x in M:"),
    ("    if x in M:", "    if not (x in M):", "    if x not in M:"),
    ("    if v == 3:", "    if not (v == 3):", "    if v != 3:"),
    ("    if v:", "    if not not v:", "    if v:"),
    ("    if v:", "    if v.ok == True:", "    if v.ok:"),
    ("    if v:", "    if v.ok != False:", "    if v.ok:"),
    ("    if v:", "    if v.ok == False:", "    if not v.ok:"),
    ("    if not (v and x):", "    if (v and x):", "    if v and x:"),
    ("    if not v:", "    if x and not (v):", "    if x and not v:"),
    ("    while v < 3:", "    while (v <= 3):", "    while v <= 3:"),
])
def test_what_a_template_wrote_reads_as_a_maintainer_would_write_it(before, after, expected):
    done = simplify_added(body(before), body(after))
    assert done.text == body(expected), done.changes
    assert done.changes


@pytest.mark.parametrize("before, after", [
    # The user's own spelling on a line the patch changed elsewhere is left as it was.
    ("    if not (v is None) and x > 3:", "    if not (v is None) and x >= 3:"),
    ("    if (v + 1) > x:", "    if (v - 1) > x:"),
    # Not equivalent or not simpler: `not (a < b)` is not `a >= b` for NaN; a call's brackets stay.
    ("    if v < 3:", "    if not (v < 3):"),
    ("    if f(v):", "    if g((v)):"),
    # `x == True` outside a condition keeps its value (1 == True, 2 != True).
    ("    if v:", "    if v:\n        y = v == True"),
])
def test_untouched_or_meaningful_code_is_left_alone(before, after):
    done = simplify_added(body(before), body(after))
    assert done.text == body(after) and done.changes == []


def test_lines_the_patch_does_not_add_are_never_reformatted():
    before = "def f(v):\n    if not (v is not None):\n        return 1\n    return v > 2\n"
    after = before.replace("v > 2", "v >= 2")
    assert simplify_added(before, after).text == after


BEFORE = "def f(v):\n    if v is not None:\n        return 'missing'\n    return str(v)\n"
AFTER = BEFORE.replace("if v is not None:", "if not (v is not None):")


def a_choice(tmp_path, line="if v is not None:", patched="if not (v is not None):"):
    (tmp_path / "pkg").mkdir(parents=True)
    before = BEFORE.replace("if v is not None:", line)
    (tmp_path / "pkg" / "f.py").write_text(before)
    patch = "diff --git a/pkg/f.py b/pkg/f.py\n" + text_diff("pkg/f.py", before, before.replace(line, patched))  # as `git diff` gives it
    verdict = GateVerdict("r3", True, "suite", patch=patch)
    return Choice(verdict, confidence(3, "not_run", None), 1, 1, "only")


def test_the_simplified_patch_replaces_the_chosen_one_only_when_it_passes_the_gates(tmp_path):
    # `not (v == 3)` -> `v != 3` is not the same code to Python (a type's own `__ne__`): re-gated.
    choice = a_choice(tmp_path, "if v == 3:", "if not (v == 3):")
    candidates = {"r3": Candidate("r3", [], "rules", "`is` -> `is not` in line 2", path="pkg/f.py", line=2)}
    gated: list[Candidate] = []

    def passing(candidate, seconds):
        gated.append(candidate)
        return GateVerdict(candidate.id, True, "suite", patch="the simplified patch")

    tidied = tidy_choice(choice, candidates, passing, tmp_path, ".", 60.0)
    assert tidied.verdict.candidate_id == "r3-tidy" and tidied.verdict.patch == "the simplified patch"
    assert "r3-tidy" in candidates and "re-gated" in tidied.notes[-1]
    # The candidate that was gated turns the base file into the simplified text.
    copy = tmp_path / "copy"
    (copy / "pkg").mkdir(parents=True)
    (copy / "pkg" / "f.py").write_text(BEFORE.replace("if v is not None:", "if v == 3:"))
    assert all(r.applied for r in apply_edits(copy, gated[0].edits))
    assert (copy / "pkg" / "f.py").read_text() == BEFORE.replace("if v is not None:", "if v != 3:")

    def failing(candidate, seconds):
        return GateVerdict(candidate.id, False, "suite", message="1 regression")

    kept = tidy_choice(a_choice(tmp_path / "again", "if v == 3:", "if not (v == 3):"), {}, failing,
                       tmp_path / "again", ".", 60.0)
    assert kept.verdict.candidate_id == "r3" and "did not pass the gates (1 regression)" in kept.notes[-1]


@pytest.mark.parametrize("seconds_left", [1.0, 60.0])
def test_a_form_that_is_the_same_code_is_delivered_without_a_re_gate_any_other_only_with_time(tmp_path, seconds_left):
    def never(candidate, seconds):
        raise AssertionError("an exact form or a run with no time left is never gated")

    # `not (v is not None)` is `v is None` to Python: delivered simplified, with the chosen patch's
    # verdict, with or without time to re-gate (a re-gate could only repeat that verdict).
    candidates: dict = {}
    tidied = tidy_choice(a_choice(tmp_path), candidates, never, tmp_path, ".", seconds_left)
    assert tidied.verdict.candidate_id == "r3-tidy" and tidied.verdict.accepted and "r3-tidy" in candidates
    assert "+    if v is None:" in tidied.verdict.patch and "not (" not in tidied.verdict.patch
    assert "without a re-gate" in tidied.notes[-1]
    copy = tmp_path / "copy"
    (copy / "pkg").mkdir(parents=True)
    (copy / "pkg" / "f.py").write_text(BEFORE)
    apply_patch(copy, tidied.verdict.patch)  # the patch applies at the base, as a gated one does
    assert (copy / "pkg" / "f.py").read_text() == BEFORE.replace("v is not None", "v is None")
    # `not (v != 3)` is not `v == 3` for a type with its own `__ne__`: kept as written.
    other = tmp_path / "other"
    (other / "pkg").mkdir(parents=True)
    before = BEFORE.replace("v is not None", "v != 3")
    (other / "pkg" / "f.py").write_text(before)
    patch = "diff --git a/pkg/f.py b/pkg/f.py\n" + text_diff("pkg/f.py", before, before.replace("if v", "if not (v"
                                                                                             ).replace("3:", "3):"))
    if seconds_left < MIN_SECONDS:
        kept = tidy_choice(Choice(GateVerdict("r4", True, "suite", patch=patch), confidence(3, "not_run", None), 1,
                                  1, "only"), {}, never, other, ".", seconds_left)
        assert kept.verdict.candidate_id == "r4" and "no time left" in kept.notes[-1]


def test_exact_marks_only_rewrites_python_treats_as_the_same_code():
    assert simplify_added(body("    if v is not None:"), body("    if not (v is not None):")).exact
    assert simplify_added(body("    if v:"), body("    if not not v:")).exact
    assert not simplify_added(body("    if v == 3:"), body("    if not (v == 3):")).exact
    assert not simplify_added(body("    if v:"), body("    if v.ok == True:")).exact
