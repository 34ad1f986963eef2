"""`suture check` when the verifier cannot decide: a finding CrossHair reports whose CPython replay does
not finish (what a loaded machine does to a 0.6 s replay) is neither a finding nor a contract that held.

Before, such a check said `clean` and "1 changed contract held within the bound". Real CLI, real
CrossHair, a real replay that runs out of time: the module sleeps at import unless CrossHair loaded it.
"""

from __future__ import annotations

from conftest import last_json, suture
from test_check import stage

SLOW_OUTSIDE_CROSSHAIR = '''
    import sys
    import time

    if "crosshair" not in sys.modules:
        time.sleep(60)  # only the replay's fresh CPython waits: it runs out of its time


    def clamp(x: int, lo: int, hi: int) -> int:
        """
        pre: lo <= hi
        post: lo <= __return__ <= hi
        """
        return max(lo, min(x, hi))
'''

UNCLAMPED = SLOW_OUTSIDE_CROSSHAIR.replace("return max(lo, min(x, hi))", "return max(lo, x)")


def test_a_finding_whose_replay_does_not_finish_leaves_the_check_incomplete_not_clean(make_repo):
    repo = make_repo({"shapes/__init__.py": "", "shapes/clamp.py": SLOW_OUTSIDE_CROSSHAIR})
    stage(repo, {"shapes/clamp.py": UNCLAMPED})
    done = suture("check", "--json", cwd=repo, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # nothing proven wrong: the commit is not blocked
    report = last_json(done)
    assert report["status"] == "incomplete" and report["findings"] == []
    assert report["undecided"] == ["shapes/clamp.py::clamp"]
    [verdict] = report["verifier"]
    assert verdict["verdict"] == "error" and "undecided" in verdict["message"]
    assert "replay did not finish" in verdict["message"]
    assert any("could not decide shapes/clamp.py::clamp" in w for w in report["warnings"])

    text = suture("check", cwd=repo, timeout=120)
    assert text.returncode == 0, text.stdout + text.stderr
    assert "held within the bound" not in text.stdout
    assert "the verifier could not decide shapes/clamp.py::clamp" in text.stdout
