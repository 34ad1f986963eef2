"""The fix gate's judgement of counterexamples across candidates, and its report when nothing is delivered.

Real CrossHair, real replays in CPython, real pytest confirming each rejection.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from suture.agent.gates import verify_gate
from suture.agent.gates.validate import GateVerdict
from suture.agent.gates.verify_gate import GateVerifier
from suture.agent.gates.verify_report import verification_report

# inflection's camelize with its if negated (a seeded fault): on ('', False) the buggy base
# upper-cases '' and the true fix reaches string[0], as the original library does; the
# base raises IndexError too, on ('', True).
BASE = '''\
    def camel(string: str, upper: bool) -> str:
        if not upper:
            return string.upper()
        else:
            return string[0].lower() + string[1:]
    '''
TRUE_FIX = BASE.replace("if not upper:", "if upper:")
# Wrong: crashes on ('', False) in a line it wrote, safe everywhere else.
WRONG = BASE.replace("return string.upper()", "return string[0].upper() + string[1:]").replace(
    "return string[0].lower() + string[1:]", "return string[:1].lower() + string[1:]")
# The same mistake again, with an unrelated change of its own.
WRONG_AGAIN = WRONG.replace("def camel(string: str, upper: bool) -> str:",
                            "def camel(string: str, upper: bool) -> str:\n    # first letter\n")


def tree(tmp_path: Path, name: str, text: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "camel.py").write_text(textwrap.dedent(text))
    return root


def test_a_known_counterexample_rejects_the_same_mistake_but_not_a_fix_failing_at_a_line_it_did_not_touch(
        tmp_path, monkeypatch):
    base = tree(tmp_path, "base", BASE)
    gate = GateVerifier(base, evidence_dir=tmp_path / "evidence")
    searches = []
    real_search = verify_gate._crosshair_finds

    def base_search(*args, **kwargs):
        # The first search of the base runs out of time (as on a loaded machine); the later ones run.
        searches.append(args[0].function)
        return None if len(searches) == 1 else real_search(*args, **kwargs)

    monkeypatch.setattr(verify_gate, "_crosshair_finds", base_search)

    wrong = gate.check_function(tree(tmp_path, "wrong", WRONG), "camel.py", "camel", 30, "wrong")
    assert wrong.verdict == "counterexample" and wrong.introduced, wrong.message
    assert wrong.counterexample["inputs"] == {"string": "''", "upper": "False"}
    assert wrong.failing_line == "return string[0].upper() + string[1:]"
    assert len(searches) == 1

    # The true fix fails on the same inputs, in a line the base has unchanged: judged afresh,
    # and the base search finds the base raising IndexError too, so it is no rejection.
    fix = gate.check_function(tree(tmp_path, "fix", TRUE_FIX), "camel.py", "camel", 30, "fix")
    assert fix.verdict == "counterexample_in_base", fix.message
    assert fix.backend == "replay" and fix.introduced is False
    assert "the base commit raises IndexError too" in fix.message
    assert len(searches) == 2

    # A candidate repeating the wrong one's line is rejected by the replay alone, with a test.
    again = gate.check_function(tree(tmp_path, "again", WRONG_AGAIN), "camel.py", "camel", 30, "again")
    assert again.verdict == "counterexample" and again.backend == "replay" and again.introduced
    assert "the same line, which this candidate changed too" in again.message
    assert Path(again.test_file).read_text().count("_module.camel(") == 1
    assert len(searches) == 2  # no new judgement was needed


def verdict(cid, *, accepted, verifier, stage="verifier"):
    return GateVerdict(cid, accepted, stage, verifier=verifier)


def test_the_report_without_a_delivered_patch_says_what_the_verifier_said():
    held_back = [verdict("r1", accepted=True, verifier="exhausted"),
                 verdict("r2", accepted=True, verifier="not_run"),
                 verdict("r3", accepted=False, verifier="counterexample"),
                 verdict("r4", accepted=False, verifier=None, stage="suite")]
    reason = verification_report(None, held_back)["reason"]
    assert "2 candidate(s) passed the tests and the verifier but none was delivered" in reason
    assert "counterexample: 1" in reason and "exhausted: 1" in reason and "not run: 1" in reason
    assert "every candidate" not in reason

    rejected = verification_report(None, [verdict("r3", accepted=False, verifier="counterexample")])["reason"]
    assert rejected.startswith("every candidate that passed the tests had a counterexample")
    nothing = verification_report(None, [verdict("r4", accepted=False, verifier=None, stage="suite")])["reason"]
    assert nothing == "no candidate passed the tests, so none reached the verifier"
