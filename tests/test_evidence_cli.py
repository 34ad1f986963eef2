"""`suture fix` never claims an overfitting patch as a fix (issue 17): the real CLI, offline
(rule engine), real pytest and git, on the issue's own case."""

from __future__ import annotations

import json
import re

import pytest

from conftest import repo_snapshot, suture
from suture.agent.fix.calibration import held_back, load_weights
from shared_runs import shared_run

# `median` returns the upper middle element for even-length lists. The rule engine's only
# passing patches insert an early `return sum(values) / len(values)` (borrowed from `mean`):
# every visible test passes (the odd cases' means equal their medians) and the function is then
# wrong for median([1, 2, 10]), which its own docstring gives as an example.
UPPER_MEDIAN = {
    "stats/__init__.py": "",
    "stats/middle.py": """\
        def mean(values):
            return sum(values) / len(values)


        def median(values):
            "The middle value of the sorted values: [1, 2, 10] -> 2 (None when there are none)."
            if not values:
                return None
            ordered = sorted(values)
            mid = len(ordered) // 2
            return ordered[mid]
        """,
    "tests/test_middle.py": """\
        from stats.middle import median


        def test_odd():
            assert median([3, 1, 2]) == 2


        def test_single():
            assert median([5]) == 5


        def test_empty():
            assert median([]) is None


        def test_even():
            assert median([1, 2, 3, 4]) == 2.5


        def test_even_pair():
            assert median([4, 8]) == 6
        """,
}


def _fix(make_repo, files):
    """`suture fix` offline on a new repo of `files`: the finished process and its report.json."""
    repo = make_repo(files)
    before = repo_snapshot(repo)
    done = suture("fix", "--time-limit", "300", cwd=repo, timeout=420)
    assert repo_snapshot(repo) == before, "suture changed the user's tree"
    (run_dir,) = (repo / ".suture" / "runs").iterdir()
    return done, json.loads((run_dir / "report.json").read_text())


def upper_median_run(tmp_path_factory):
    """`suture fix --apply --time-limit 300` on UPPER_MEDIAN, made once per session (tests/shared_runs.py):
    tests/test_cli_fix_antipatterns.py checks the --apply it refuses, tests/test_cli_report.py renders its page."""
    return shared_run(tmp_path_factory, "upper-median", UPPER_MEDIAN, ["fix", "--apply", "--time-limit", "300"])


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite (or read from test_cli_report's): scheduled first
def test_an_early_return_of_the_mean_is_not_claimed_as_the_median_fix(tmp_path_factory):
    done = upper_median_run(tmp_path_factory)
    report = done.report
    if report["status"] == "fixed":  # a right fix is welcome (and applied: the run asked for it); the mean never is
        assert done.returncode == 0 and "sum(values)" not in report["patch"], report["patch"]
        return
    assert done.tree_unchanged, "suture changed the user's tree"
    assert done.returncode == 1, done.stdout + done.stderr
    assert report["plausible"]["patch"] and "sum(values) / len(values)" in report["plausible"]["patch"]
    assert report["confidence"]["weak"] and report["confidence"]["value"] < 0.5
    # Held back, it shows at most the bench's share of right patches among those held back
    # (agent/fix/calibration.json; its anti-pattern cap may be lower), and says so when that is its value.
    share = held_back(load_weights())
    value = report["confidence"]["value"]
    assert share is not None and value <= share + 1e-9, report["confidence"]
    said = f"held back: {share:.0%} of the patches the repair bench held back were right" in report["confidence"]["reasons"]
    assert said == (value == pytest.approx(share, abs=1e-3)), report["confidence"]
    chosen = report["choice"]["chosen"]
    evidence = {e["candidate_id"]: e for e in report["evidence"]}
    mine = evidence[chosen]
    assert mine["status"] == "known" and mine["changes_like_passing_tests"]
    # The static check (agent/gates/antipatterns.py) names the same patch's flaw on its evidence record.
    assert [a["name"] for a in mine["anti_patterns"]] == ["unreachable_code"], mine["anti_patterns"]
    example = mine["footprint"]["example"]
    # The deciding input: an odd-length list (like the passing tests) whose result the patch changes.
    assert re.fullmatch(r"median\(\[-?\d+, -?\d+, -?\d+\]\)", example["call"]), example
    assert example["base"] != example["candidate"] and example["like"] == "passing"
    reasons = " ".join(report["confidence"]["reasons"])
    assert example["call"] in reasons and "like the passing tests" in reasons
    # The docstring's own example is an answer beyond the tests (tools/verify/doc_examples.py): the
    # patch contradicts it where HEAD did not, and that is a reason of its own.
    assert mine["doc_checked"] == 1 and [b["call"] for b in mine["doc_broken"]] == ["median([1, 2, 10])"], mine
    assert mine["doc_broken"][0]["base_holds"] and mine["doc_broken"][0]["result"].startswith("returns 4.33")
    assert "unresolved: contradicts its docstring's example `median([1, 2, 10])` -> 2: 4.33" in reasons, reasons
    # The terminal says it too, in at most two lines, and the patch is neither applied nor printed as a fix.
    shown = [line for line in done.stdout.splitlines() if line.startswith(("Behaviour outside the tests", "Rivals:"))]
    assert 1 <= len(shown) <= 2 and f"Behaviour outside the tests ({chosen})" in shown[0]
    assert example["call"] in done.stdout.replace("\n", " ")
    assert "contradicts its docstring's example" in done.stdout.replace("\n", " ")
    assert "Not fixed" in done.stdout and "evidence is weak" in done.stdout.replace("\n", " ")


# A method whose visible tests let two different one-token patches pass: `>` -> `>=` and
# `> 18` -> `> 17`. No strategy builds a Person; the tests' own Person objects are recorded
# (tools/verify/receivers.py), but is_adult takes nothing a mutation could vary, so the
# comparison sees only the tests' own three calls: nothing outside the tests was run, and
# nothing says the tests decide between the two.
ADULT = {
    "people/__init__.py": "",
    "people/person.py": """\
        class Person:
            def __init__(self, name, age):
                self.name = name
                self.age = age

            def is_adult(self):
                return self.age > 18
        """,
    "tests/test_person.py": """\
        from people.person import Person


        def test_child():
            assert not Person("Ann", 5).is_adult()


        def test_grown_up():
            assert Person("Bob", 40).is_adult()


        def test_eighteen():
            assert Person("Cy", 18).is_adult()
        """,
}


@pytest.mark.slow  # a whole suture run
def test_rivals_that_could_not_be_compared_are_not_claimed_as_a_fix(make_repo):
    done, report = _fix(make_repo, ADULT)
    evidence = {e["candidate_id"]: e for e in report["evidence"]}
    assert report["choice"]["distinct_passing"] >= 2, report["choice"]
    chosen = evidence[report["choice"]["chosen"]]
    # The objects were recorded (three calls, one per test): the method was run, but only there.
    assert chosen["status"] == "unknown" and chosen["unbuilt"], chosen
    assert "compared only on the tests' own 3 call(s)" in chosen["reason"], chosen["reason"]
    assert done.returncode == 1 and report["status"] != "fixed", done.stdout + done.stderr
    assert report["confidence"]["weak"] and report["plausible"]["patch"]
    reasons = " ".join(report["confidence"]["reasons"])
    assert "could not be compared" in reasons and "not compared is not agreement" in reasons
