"""Fault localisation on real git repos, run with real pytest and real coverage.py."""

from __future__ import annotations

import json
import sys

import pytest

from suture.tools.testing.localize import LocalizeError, localize, select_tests
from suture.tools.testing.spectra import Spectra

from conftest import git

PYTEST = f"{sys.executable} -m pytest"

# `median` is the bug (it forgets to sort); `mean` and `clamp` are fine. Every test of `median`
# runs `_middle`, so the helper shares the failing tests' evidence but also runs in passing ones.
STATS = """\
    SCALE = 1


    def mean(xs):
        return sum(xs) / len(xs) * SCALE


    def _middle(xs):
        return len(xs) // 2


    def median(xs):
        ordered = list(xs)  # bug: should be sorted(xs)
        mid = _middle(ordered)
        if len(ordered) % 2:
            return ordered[mid]
        return (ordered[mid - 1] + ordered[mid]) / 2


    def clamp(x, lo, hi):
        if x < lo:
            return lo
        if x > hi:
            return hi
        return x


    def middle_index(xs):
        return _middle(xs)
"""

STATS_TESTS = """\
    from pkg.stats import clamp, mean, median, middle_index


    def test_mean():
        assert mean([1, 2, 3]) == 2


    def test_median_sorted():
        assert median([1, 2, 3]) == 2


    def test_median_unsorted():
        assert median([3, 1, 2]) == 2


    def test_median_even_unsorted():
        assert median([4, 1, 3, 2]) == 2.5


    def test_middle_index():
        assert middle_index([1, 2, 3, 4]) == 2


    def test_clamp():
        assert clamp(5, 0, 3) == 3
        assert clamp(-1, 0, 3) == 0
        assert clamp(2, 0, 3) == 2
"""

CONFTEST = """\
    import pytest
"""


def stats_repo(make_repo, extra=None):
    files = {"pkg/__init__.py": "", "pkg/stats.py": STATS, "tests/test_stats.py": STATS_TESTS, "conftest.py": CONFTEST}
    files.update(extra or {})
    return make_repo(files)


def tree_state(repo):
    return git(repo, "status", "--porcelain", "--ignored"), git(repo, "rev-parse", "HEAD"), git(repo, "worktree", "list")


def test_the_buggy_function_ranks_first(make_repo, tmp_path):
    repo = stats_repo(make_repo)
    before = tree_state(repo)
    run_dir = tmp_path / "run"

    loc = localize(repo, test_cmd=PYTEST, run_dir=run_dir)

    assert sorted(loc.failing) == ["tests/test_stats.py::test_median_even_unsorted", "tests/test_stats.py::test_median_unsorted"]
    first = loc.ranking[0]
    assert (first.path, first.symbol, first.start_line, first.end_line) == ("pkg/stats.py", "median", 12, 17)
    # tests are never suspects, and scores come best first
    assert all(not s.path.startswith("tests/") and s.path != "conftest.py" for s in loc.ranking)
    assert [s.score for s in loc.ranking] == sorted((s.score for s in loc.ranking), reverse=True)
    assert "clamp" not in [s.symbol for s in loc.ranking]  # no failing test runs it
    # the coverage data stays in the run directory, and the user's tree is as it was
    assert loc.coverage_file == (run_dir / "coverage.db").resolve() and loc.coverage_file.is_file()
    assert tree_state(repo) == before
    json.dumps(loc.to_dict())  # the contract's JSON shape
    assert set(loc.to_dict()["ranking"][0]) == {"path", "symbol", "start_line", "end_line", "score"}


def test_formulas_and_top(make_repo, tmp_path):
    repo = stats_repo(make_repo)
    for formula in ("tarantula", "dstar"):
        loc = localize(repo, test_cmd=PYTEST, formula=formula, top=2, run_dir=tmp_path / formula)
        assert len(loc.ranking) == 2
        assert loc.ranking[0].symbol == "median"
    with pytest.raises(LocalizeError, match="unknown formula"):
        localize(repo, test_cmd=PYTEST, formula="nope")


def test_lines_outside_functions_rank_as_class_or_module(make_repo, tmp_path):
    # The bug sits in a class body (a class attribute) and at module level; the tests that fail
    # run no faulty function body, and the suspects are still the class and the module.
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/units.py": """\
                FACTOR = 3  # bug: 2


                class Meter:
                    per_km = 100  # bug: 1000

                    def __init__(self, n):
                        self.n = n


                def double(n):
                    return n * FACTOR
            """,
            "tests/test_units.py": """\
                from pkg.units import Meter, double


                def test_per_km():
                    assert Meter.per_km == 1000


                def test_double():
                    assert double(2) == 4


                def test_meter():
                    assert Meter(3).n == 3
            """,
        }
    )
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    symbols = {s.symbol: s for s in loc.ranking}
    assert symbols["Meter"].kind == "class" and (symbols["Meter"].start_line, symbols["Meter"].end_line) == (4, 8)
    assert symbols["<module>"].kind == "module" and symbols["<module>"].start_line == 1
    assert loc.ranking[0].symbol == "double"  # the executed function the failing test ran comes first
    # the class attribute line scored, and was credited to the class, not dropped
    assert loc.line_scores[("pkg/units.py", 5)] > 0


def test_failing_test_narrows_the_failing_set(make_repo, tmp_path):
    repo = stats_repo(
        make_repo,
        {
            "tests/test_more.py": """\
                from pkg.stats import clamp


                def test_clamp_wrong():
                    assert clamp(5, 0, 3) == 5
            """
        },
    )
    everything = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "all")
    assert "tests/test_more.py::test_clamp_wrong" in everything.failing

    narrowed = localize(repo, test_cmd=PYTEST, failing_tests=["tests/test_more.py::test_clamp_wrong"], run_dir=tmp_path / "one")
    assert narrowed.failing == ["tests/test_more.py::test_clamp_wrong"]
    assert narrowed.ranking[0].symbol == "clamp"

    with pytest.raises(LocalizeError, match="names no test"):
        localize(repo, test_cmd=PYTEST, failing_tests=["tests/test_more.py::test_nope"])
    with pytest.raises(LocalizeError, match="does not fail at HEAD"):
        localize(repo, test_cmd=PYTEST, failing_tests=["tests/test_stats.py::test_mean"])


def test_a_run_cut_by_its_time_limit_is_ranked_from_its_tests_and_says_so(make_repo):
    # A test that sleeps far past the run's limit (not past its own per-test limit): the run is cut,
    # the tests that finished still rank `median` first, and the notes say the ranking is partial.
    # 10 s (was 20, all of it waited out idle): the tests before the sleeper take ~1.5 s idle, a few under load.
    repo = make_repo({"pkg/__init__.py": "", "pkg/stats.py": STATS, "tests/test_stats.py": STATS_TESTS,
                      "tests/test_zz_slow.py": "import time\n\n\ndef test_sleeps():\n    time.sleep(600)\n"})
    loc = localize(repo, test_cmd=PYTEST, timeout=10, per_test_timeout=None)
    assert loc.ranking[0].symbol == "median"
    assert any("hit its 10 s limit after" in note and "from those alone" in note for note in loc.notes), loc.notes


def test_no_failing_test_is_a_clear_error(make_repo):
    fixed = STATS.replace("ordered = list(xs)", "ordered = sorted(xs)")
    repo = make_repo({"pkg/__init__.py": "", "pkg/stats.py": fixed, "tests/test_stats.py": STATS_TESTS})
    before = tree_state(repo)
    with pytest.raises(LocalizeError, match=r"no test fails at HEAD .*--failing-test NODEID or an issue text"):
        localize(repo, test_cmd=PYTEST)
    assert tree_state(repo) == before


def test_flaky_tests_are_excluded_and_reported(make_repo, tmp_path):
    # The flaky test fails on its first run only (a marker file outside the repo remembers it).
    marker = tmp_path / "flaky-ran-once"
    repo = stats_repo(
        make_repo,
        {
            "tests/test_flaky.py": f"""\
                from pathlib import Path

                from pkg.stats import clamp


                def test_sometimes():
                    marker = Path({str(marker)!r})
                    first = not marker.exists()
                    marker.touch()
                    assert clamp(1, 0, 3) == 1 and not first


                def test_only_under_a_tracer():
                    # fails only where coverage traces it (as a race the tracer's slowness exposes):
                    # its in-session reruns run untraced, as in plain pytest, so it is flaky
                    import sys

                    assert sys.gettrace() is None
            """
        },
    )
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    assert loc.flaky == ["tests/test_flaky.py::test_sometimes", "tests/test_flaky.py::test_only_under_a_tracer"]
    assert "tests/test_flaky.py::test_sometimes" not in loc.failing
    assert loc.ranking[0].symbol == "median"
    # the flake check ran inside the coverage run's own session: one rerun that passed; the real
    # failures were re-run twice there and failed both times
    assert loc.run.outcomes["tests/test_flaky.py::test_sometimes"].reruns == ["passed"]
    assert loc.run.outcomes["tests/test_flaky.py::test_only_under_a_tracer"].reruns == ["passed"]
    assert all(loc.run.outcomes[n].reruns == ["failed", "failed"] for n in loc.failing)


def test_traceback_frames_break_ties(make_repo, tmp_path):
    # Only the failing test runs `parse` and `check`, so every line of both scores 1.0 and the
    # spectra alone tie them; the traceback ends in `check`, which raises.
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/conf.py": """\
                def check(value):
                    if value < 10:  # bug: should be < 0
                        raise ValueError("negative")
                    return value


                def parse(text):
                    value = int(text)
                    return check(value)


                def unrelated():
                    return 1
            """,
            "tests/test_conf.py": """\
                from pkg.conf import parse, unrelated


                def test_small():
                    assert parse("3") == 3


                def test_unrelated():
                    assert unrelated() == 1
            """,
        }
    )
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    assert loc.failing == ["tests/test_conf.py::test_small"]
    assert loc.line_scores[("pkg/conf.py", 3)] == loc.line_scores[("pkg/conf.py", 8)] == 1.0
    assert [s.symbol for s in loc.ranking[:2]] == ["check", "parse"]
    assert loc.ranking[0].score > loc.ranking[1].score


def test_select_tests_from_the_kept_coverage(make_repo, tmp_path):
    repo = stats_repo(make_repo)
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    # a later stage reads the kept data file again, without the worktree (paths are the tree's)
    assert select_tests(loc.spectra, [("pkg/stats.py", 20, 25)]) == ["tests/test_stats.py::test_clamp"]
    assert select_tests(loc.spectra, [("pkg/stats.py", 8, 9)]) == [
        "tests/test_stats.py::test_median_even_unsorted",
        "tests/test_stats.py::test_median_sorted",
        "tests/test_stats.py::test_median_unsorted",
        "tests/test_stats.py::test_middle_index",
    ]
    assert select_tests(loc.spectra, [("pkg/other.py", 1, 100)]) == []
    assert isinstance(loc.spectra, Spectra)


def test_no_tests_and_broken_commands(make_repo):
    repo = make_repo({"pkg/__init__.py": "", "pkg/a.py": "X = 1\n", "tests/test_a.py": "X = 1\n"})
    with pytest.raises(LocalizeError, match="no tests were collected"):
        localize(repo, test_cmd=PYTEST)
    with pytest.raises(LocalizeError, match="pytest command"):
        localize(repo, test_cmd="make test")
    with pytest.raises(LocalizeError):
        localize(repo.parent, test_cmd=PYTEST)  # not a git repository


def test_a_function_run_only_at_import_time_is_still_ranked(make_repo, tmp_path):
    # `_build` runs once, at import, under no test: its body lines are still its own,
    # while its `def` line (and the module's lines) go to "<module>".
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/table.py": """\
                def _build():
                    return {n: n * 3 for n in range(5)}  # bug: n * 2


                DOUBLE = _build()


                def double(n):
                    return DOUBLE[n]


                def triple(n):
                    return n * 3
            """,
            "tests/test_table.py": """\
                from pkg.table import double, triple


                def test_double():
                    assert double(2) == 4


                def test_triple():
                    assert triple(2) == 6
            """,
        }
    )
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    ranked = {s.symbol: s for s in loc.ranking}
    assert ranked["_build"].score > 0 and (ranked["_build"].start_line, ranked["_build"].end_line) == (1, 2)
    assert "<module>" in ranked
    assert loc.ranking[0].symbol == "double"  # the one function the failing test ran


def test_a_none_points_at_its_maker_not_where_it_blew_up(make_repo, tmp_path):
    # `parse` forgets its return value; `total` crashes using the None. Only the failing test runs
    # either, so the spectra tie them and the traceback ends in `total`, the innocent one.
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/numbers.py": """\
                def parse(text):
                    values = [int(part) for part in text.split(",")]
                    return None  # bug: should return values


                def total(text):
                    return sum(parse(text))


                def unrelated():
                    return 1
            """,
            "tests/test_numbers.py": """\
                from pkg.numbers import total, unrelated


                def test_total():
                    assert total("1,2") == 3


                def test_unrelated():
                    assert unrelated() == 1
            """,
        }
    )
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    assert loc.failing == ["tests/test_numbers.py::test_total"]
    assert "NoneType" in loc.run.outcomes["tests/test_numbers.py::test_total"].message
    assert loc.line_scores[("pkg/numbers.py", 2)] == loc.line_scores[("pkg/numbers.py", 7)] == 1.0
    assert [s.symbol for s in loc.ranking[:2]] == ["parse", "total"]
    assert loc.ranking[0].score > loc.ranking[1].score


def test_a_repr_run_only_by_pytests_assert_report_is_not_the_suspect(make_repo, tmp_path):
    # pytest renders the operands of a failed `assert` with repr(): Money.__repr__ runs in the
    # failing test only, like the faulty `add`, but the test itself never asks for a repr.
    money = """\
        class Money:
            def __init__(self, cents):
                self.cents = cents

            def __repr__(self):
                return f"Money({self.cents})"

            def add(self, other):
                return Money(self.cents - other.cents)  # bug: should be +
    """
    tests = """\
        from pkg.money import Money


        def test_add():
            assert Money(1).add(Money(2)).cents == 3


        def test_cents():
            assert Money(5).cents == 5
    """
    repo = make_repo({"pkg/__init__.py": "", "pkg/money.py": money, "tests/test_money.py": tests})
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    assert loc.line_scores[("pkg/money.py", 6)] == loc.line_scores[("pkg/money.py", 9)] == 1.0  # repr ran
    scores = {s.symbol: s.score for s in loc.ranking}
    assert loc.ranking[0].symbol == "Money.add"
    assert scores["Money.__repr__"] < scores["Money.add"]

    # A test that does ask for the repr keeps it a full suspect.
    asks = tests + """\

        def test_repr():
            assert repr(Money(4)) == "Money(4)!"
    """
    repo = make_repo({"pkg/__init__.py": "", "pkg/money.py": money, "tests/test_money.py": asks}, name="asks")
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run2")
    scores = {s.symbol: s.score for s in loc.ranking}
    assert "tests/test_money.py::test_repr" in loc.failing
    assert scores["Money.__repr__"] >= scores["Money.add"]


def test_a_deliberate_raise_points_at_what_decided_it_not_at_its_report(make_repo, tmp_path):
    # `validate` raises its own error when a required key is missing; the bug is in `is_optional`, which
    # decides what is required. The raise's branch and `plural` (the message) run only when the check
    # fails, so SBFL rates them above `is_optional`, which every test runs.
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/schema.py": """\
                def is_optional(key):
                    return key.endswith("?") and False  # bug: the marker is ignored


                def plural(items):
                    return "s" if len(items) > 1 else ""


                def validate(schema, data):
                    required = {k for k in schema if not is_optional(k)}
                    if not required.issubset(data):
                        missing = sorted(required - set(data))
                        raise KeyError("missing key" + plural(missing) + ": " + ", ".join(missing))
                    return True
            """,
            "tests/test_schema.py": """\
                import pytest

                from pkg.schema import validate


                def test_required_present():
                    assert validate({"a": int}, {"a": 1})


                def test_optional_may_be_absent():
                    assert validate({"a": int, "b?": int}, {"a": 1})


                def test_missing_required_raises():
                    with pytest.raises(KeyError):
                        validate({"a": int}, {})
            """,
        }
    )
    loc = localize(repo, test_cmd=PYTEST, run_dir=tmp_path / "run")
    assert loc.failing == ["tests/test_schema.py::test_optional_may_be_absent"]
    raise_line, guard_line = 13, 11
    assert loc.line_scores[("pkg/schema.py", raise_line)] > loc.line_scores[("pkg/schema.py", guard_line)]
    names = [s.symbol for s in loc.ranking]
    assert names[0] == "is_optional", names
    assert names.index("plural") > names.index("validate")  # the message's helper is lowered
    evidence = {s.symbol: s.signals["sbfl"] for s in loc.ranking}
    assert evidence["is_optional"]["failure_evidence"] > evidence["validate"]["failure_evidence"] > 0
    assert evidence["validate"]["score"] == round(loc.line_scores[("pkg/schema.py", guard_line)], 6)  # the report capped


def test_quoted_values_in_a_failure_message_are_not_names_of_code():
    from suture.tools.testing.suspects import message_names

    dict_repr = "AssertionError: {'type': 'function_expression', 'children': [None]} != {'type': 'and'}"
    assert "function_expression" not in message_names(dict_repr) and "AssertionError" in message_names(dict_repr)
    assert {"median", "obj"} <= message_names("assert None == 3\n +  where None = obj.median")
    assert "b" not in message_names('KeyError: "missing \\"b\\""')


def test_the_coverage_run_is_split_only_where_files_can_be_shared_out(tmp_path, monkeypatch):
    from suture.tools.testing.shards import shard_count

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_one.py").write_text("def test_x():\n    pass\n")
    monkeypatch.setenv("SUTURE_LOCALIZE_SHARDS", "2")
    pytest_cmd = [sys.executable, "-m", "pytest"]
    assert shard_count(tmp_path, pytest_cmd) == 1  # one test file: nothing to share out
    (tmp_path / "tests" / "test_two.py").write_text("def test_y():\n    pass\n")
    assert shard_count(tmp_path, pytest_cmd) == 2
    for own_rules in (["-x"], ["--maxfail=2"], ["-n", "2"], ["-n4"], ["--dist", "loadfile"], ["-p", "xdist"], ["--sw"]):
        assert shard_count(tmp_path, pytest_cmd + own_rules) == 1, own_rules
    assert shard_count(tmp_path, "pytest -q -x") == 1
    monkeypatch.setenv("SUTURE_LOCALIZE_SHARDS", "1")
    assert shard_count(tmp_path, pytest_cmd) == 1
    monkeypatch.delenv("SUTURE_LOCALIZE_SHARDS")  # by default: only a suite that is not small, on 2+ cores
    monkeypatch.setattr("suture.tools.testing.shards._cores", lambda: 2)
    assert shard_count(tmp_path, pytest_cmd) == 1
    (tmp_path / "tests" / "test_two.py").write_text("def test_y():\n    pass\n" + "# padding\n" * 16000)
    assert shard_count(tmp_path, pytest_cmd) == 2
    monkeypatch.setattr("suture.tools.testing.shards._cores", lambda: 1)
    assert shard_count(tmp_path, pytest_cmd) == 1


def test_a_stop_after_the_first_failure_in_the_projects_own_options_is_kept_by_a_split_run(make_repo, tmp_path):
    # `-x` in addopts (not on the command line, where shard_count sees it): the first shard runs the
    # suite as one process would and stops where it stops; the other runs nothing.
    from suture.tools.testing.plugin_env import ENV_FILE, ENV_ROOT
    from suture.tools.testing.shards import run_sharded
    from suture.tools.testing.testrun import run_tests

    repo = stats_repo(make_repo, {"pytest.ini": "[pytest]\naddopts = -x\n",
                                  "tests/test_zz_more.py": "def test_after():\n    assert True\n"})
    plugins = ["suture.tools.testing.coverage_plugin"]
    one = run_tests(repo, test_cmd=PYTEST, pytest_plugins=plugins,
                    extra_env={ENV_FILE: str(tmp_path / "one" / "c.db"), ENV_ROOT: str(repo)})
    (tmp_path / "two").mkdir()
    two = run_sharded(repo, 2, tmp_path / "two" / "c.db", {ENV_FILE: str(tmp_path / "two" / "c.db"), ENV_ROOT: str(repo)},
                      test_cmd=PYTEST, pytest_plugins=plugins)
    assert list(two.outcomes) == list(one.outcomes) == ["tests/test_stats.py::test_mean",
                                                        "tests/test_stats.py::test_median_sorted",
                                                        "tests/test_stats.py::test_median_unsorted"]
    assert two.failed == one.failed and two.returncode == one.returncode == 1


def test_the_shards_runs_merge_into_one_in_collection_order():
    from suture.tools.testing.shards import merge
    from suture.tools.testing.testrun import TestOutcome, TestRun

    def outcome(nodeid, name, seconds):
        return TestOutcome(nodeid, name, seconds)

    first = TestRun("ok", {"t/b.py::x": outcome("t/b.py::x", "passed", 2.0)}, ["t/c.py: boom"], 0, 5.0, "one")
    second = TestRun("ok", {"t/a.py::y": outcome("t/a.py::y", "failed", 1.0),
                            "t/a.py::z": outcome("t/a.py::z", "passed", 0.5)}, ["t/c.py: boom"], 1, 4.0, "two")
    run = merge([first, second], ["t/a.py::y", "t/a.py::z", "t/b.py::x"])
    assert list(run.outcomes) == ["t/a.py::y", "t/a.py::z", "t/b.py::x"]
    assert run.failed == ["t/a.py::y"] and run.returncode == 1 and run.status == "ok"
    assert run.collection_errors == ["t/c.py: boom"]  # every shard collects the suite: reported once
    assert run.seconds == 5.0 + 1.5  # the longest shard, plus the other's tests (its start-up overlapped)
    idle = TestRun("ok", {}, [], 0, 1.0, "")
    assert merge([first, idle], []).status == "ok" and merge([TestRun("timeout", {}, [], -9, 9.0, ""), idle], []).status == "timeout"
