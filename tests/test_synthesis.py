"""Repair beyond templates (issue 18): angelic values + expression synthesis, and ingredients from nearby code.

The CLI cases are realistic single-function bugs of the kinds a template catalogue cannot list;
each runs `suture fix --json` offline on a real repo and checks the patch, that the report names
the engine that made it, and that the patch makes the held-back tests pass too.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import pytest
from conftest import git, suture

from suture.agent.fix.pipeline import SYNTHESIS_SHARE
from suture.agent.propose import synthesis
from suture.agent.propose.conversions import conversions
from suture.agent.propose.elementwise import elementwise
from suture.agent.propose.expressions import Hit, enumerate_fixes, terminals
from suture.agent.propose.ingredients import statement_ingredients
from suture.agent.propose.templates import SourceFile
from suture.tools.testing.angelic import Site, instrument, probe_run


def _files(code: str, tests: str, held_back: str) -> dict[str, str]:
    return {"lib.py": textwrap.dedent(code), "test_lib.py": textwrap.dedent(tests),
            "held_back.py": textwrap.dedent(held_back)}


# `return []` that should hold the last factor.
FACTORS = _files('''
    def get_factors(n):
        """Prime factors of n, smallest first."""
        if n == 1:
            return []
        for i in range(2, int(n ** 0.5) + 1):
            if n % i == 0:
                return [i] + get_factors(n // i)
        return []
''', '''
    from lib import get_factors

    def test_one():
        assert get_factors(1) == []

    def test_composite():
        assert get_factors(100) == [2, 2, 5, 5]

    def test_prime():
        assert get_factors(13) == [13]
''', '''
    from lib import get_factors
    assert get_factors(84) == [2, 2, 3, 7]
    assert get_factors(97) == [97]
''')

# A running sum that must be clamped at zero (Kadane's maximum subarray sum).
CLAMP = _files('''
    def max_subarray(xs):
        """The largest sum of a contiguous run of xs (0 for the empty run)."""
        best = 0
        running = 0
        for x in xs:
            running = running + x
            best = max(best, running)
        return best
''', '''
    from lib import max_subarray

    def test_empty():
        assert max_subarray([]) == 0

    def test_positive():
        assert max_subarray([1, 2, 3]) == 6

    def test_dip_first():
        assert max_subarray([-4, 5, 1]) == 6
''', '''
    from lib import max_subarray
    assert max_subarray([2, -5, 3, 1]) == 4
    assert max_subarray([-1, -2]) == 0
''')

# A base case `== 0` that should be `<= 1` (the buggy code recurses forever on 1).
BASE_CASE = _files('''
    def fib(n):
        """The n-th Fibonacci number, fib(0) = 0, fib(1) = 1."""
        if n == 0:
            return n
        return fib(n - 1) + fib(n - 2)
''', '''
    from lib import fib

    def test_zero():
        assert fib(0) == 0

    def test_small():
        assert fib(6) == 8
''', '''
    from lib import fib
    assert fib(1) == 1
    assert fib(10) == 55
''')

# Operands of a string concatenation in the wrong order.
CONCAT = _files('''
    def qualified_name(module, name):
        """'pkg.mod' and 'func' -> 'pkg.mod.func'; no module -> the name alone."""
        if not module:
            return name
        prefix = module + "."
        return name + prefix
''', '''
    from lib import qualified_name

    def test_no_module():
        assert qualified_name("", "f") == "f"

    def test_module():
        # Waits for the right name: at HEAD it never comes, and the test hangs.
        while qualified_name("pkg.mod", "func") != "pkg.mod.func":
            pass
''', '''
    from lib import qualified_name
    assert qualified_name("a", "b") == "a.b"
''')

# A missing pointer advance, whose statement exists only in a sibling function (as `hi -= 1`).
POINTER = _files('''
    def reverse_in_place(items):
        lo, hi = 0, len(items) - 1
        while lo < hi:
            items[lo], items[hi] = items[hi], items[lo]
            lo += 1
            hi -= 1
        return items


    def is_palindrome(text):
        left, right = 0, len(text) - 1
        while left < right:
            if text[left] != text[right]:
                return False
            left += 1
        return True
''', '''
    from lib import is_palindrome, reverse_in_place

    def test_reverse():
        assert reverse_in_place([1, 2, 3]) == [3, 2, 1]

    def test_not_palindrome():
        assert not is_palindrome("ab")

    def test_short():
        assert is_palindrome("a") and is_palindrome("")

    def test_even():
        assert is_palindrome("abba")

    def test_odd():
        assert is_palindrome("racecar")
''', '''
    from lib import is_palindrome
    assert is_palindrome("noon")
    assert not is_palindrome("abca")
''')


# Two edits that only work together: weekdays numbered from 1 need the zero-based index for both the week
# count and the weekday (either edit alone breaks a test that passes today); agent/propose/pairs.py.
WEEKDAYS = _files('''
    def advance(day, days):
        """Weekdays numbered 1..7 (Monday is 1): the weeks passed and the weekday `days` on."""
        index = day + days
        weeks = index // 7
        weekday = index % 7
        return weeks, weekday
''', '''
    from lib import advance

    def test_same_week():
        assert advance(1, 2) == (0, 3)

    def test_to_sunday():
        assert advance(3, 4) == (0, 7)

    def test_weeks_on():
        assert advance(5, 10) == (2, 1)

    def test_midweek():
        assert advance(2, 3) == (0, 5)
''', '''
    from lib import advance
    assert advance(7, 0) == (0, 7)
    assert advance(7, 1) == (1, 1)
    assert advance(1, 13) == (1, 7)
''')


# Entities left in scraped text, beside an import of the module meant to decode them (agent/propose/conversions.py).
TITLES = _files('''
    """Page titles scraped from HTML, as plain text."""
    import html


    def title_text(raw):
        return raw


    def slug(raw):
        return "-".join(title_text(raw).lower().split())
''', '''
    from lib import slug, title_text

    def test_plain():
        assert title_text("Home") == "Home"

    def test_slug():
        assert slug("About Us") == "about-us"

    def test_entity():
        assert title_text("Tom &amp; Jerry") == "Tom & Jerry"
''', '''
    from lib import slug, title_text
    assert title_text("&lt;b&gt; &#233;t&eacute;") == "<b> été"
    assert slug("Q&amp;A Time") == "q&a-time"
''')


# One value repeated where each slot needs its own: consecutive numbers from a start (agent/propose/elementwise.py).
TICKETS = _files('''
    def ticket_numbers(first, count):
        """`count` consecutive ticket numbers, the first one `first`."""
        if count < 0:
            raise ValueError("a negative count")
        return [first] * count
''', '''
    import pytest

    from lib import ticket_numbers

    def test_negative():
        with pytest.raises(ValueError):
            ticket_numbers(1, -1)

    def test_none():
        assert ticket_numbers(3, 0) == []

    def test_single():
        assert ticket_numbers(7, 1) == [7]

    def test_run():
        assert ticket_numbers(5, 3) == [5, 6, 7]
''', '''
    from lib import ticket_numbers
    assert ticket_numbers(100, 4) == [100, 101, 102, 103]
    assert ticket_numbers(0, 2) == [0, 1]
''')


@pytest.mark.slow  # a whole suture run each: scheduled first (conftest.py)
@pytest.mark.parametrize("files, expected, engines, limit", [
    (FACTORS, ["return [n]"], {"synthesis"}, 240),
    # `abs(n) < 2` too: beside `n <= 1` it keeps HEAD's result (a RecursionError) on more negative n, and
    # the trust stage prefers the smaller behaviour change (agent/fix/evidence.py).
    (BASE_CASE, ["n <= 1", "n < 2", "abs(n) < 2"], {"synthesis", "template"}, 240),
    # The failing test hangs at HEAD, under a small time limit: synthesis's probes stay in its share.
    (CONCAT, ["prefix + name"], {"synthesis"}, 90),
    (POINTER, ["right -= 1"], {"ingredient"}, 240),
    (WEEKDAYS, ["+    index = day + days - 1\n", "+    weekday = index % 7 + 1\n"], {"synthesis"}, 240),
    (TITLES, ["return html.unescape(raw)"], {"ingredient"}, 240),
    (TICKETS, ["return [first + i for i in range(count)]", "return [i + first for i in range(count)]"],
     {"synthesis"}, 240),
], ids=["return-list", "base-case", "concat-order-hanging", "pointer-advance", "two-edits", "unused-parser",
        "per-element"])
# CLAMP is not among them: synthesis claimed `running = best + x` there (it passes the three visible
# tests and fails the held-back ones); its rival `max(0, running + x)` now goes to the gates beside it
# (synthesis._offered) for the trust stage to weigh, not yet checked through the CLI: one reason
# synthesis is opt-in (agent/propose/synthesis.py).
def test_fix_beyond_templates_through_the_cli(make_repo, tmp_path, monkeypatch, files, expected, engines, limit):
    monkeypatch.setenv("SUTURE_SYNTHESIS", "on")  # opt-in (agent/propose/synthesis.py says why)
    # test_timeout 2: every test here takes milliseconds, and the hangs (CONCAT's failing test at HEAD,
    # cut at its baseline limit, 11 s of a 90 s run otherwise; candidates that loop forever, 5 s each
    # test otherwise) are busy loops, whose limit is CPU.
    repo = make_repo({**{k: v for k, v in files.items() if k != "held_back.py"},
                      "pyproject.toml": "[tool.suture]\ntest_timeout = 2\n"})
    # One run, read twice: the terminal form on stdout and the run record's report.json, the same
    # object `--json` prints (runs.write_report; many tests read `--json` on stdout itself).
    # CONCAT's patch is about the 10th candidate, and most of the 24 rivals gated after it hang (1 s each, the
    # floor of a hanging test): what it proves ends at the claim, so its run stops offering after 20.
    extra = ["--max-candidates", "20"] if files is CONCAT else []
    shown = suture("fix", "--time-limit", str(limit), *extra, cwd=repo)
    assert shown.returncode == 0, shown.stderr[-3000:]
    (run_dir,) = (repo / ".suture" / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    events = [json.loads(line) for line in (run_dir / "trajectory.jsonl").read_text().splitlines()]
    probes = [e for e in events if e["event"] == "probe"]
    # Every probe run (the wait for a scratch tree included) was given at most synthesis's share of the limit.
    assert all(0 < p["allowed"] <= SYNTHESIS_SHARE * limit for p in probes), probes
    if "while qualified_name" in files["test_lib.py"]:  # the hang is the bug: repaired, given a short limit
        (localised,) = [e for e in events if e["event"] == "localised"]
        assert list(localised["hang_limits"]) == ["test_lib.py::test_module"], localised
        # One record run, then tries of the one failing test only: the synthesised expressions', and (when the
        # pipeline pulls past them for a batch) the template edits screened in place (agent/propose/pairs.py).
        assert [p["mode"] for p in probes][:2] == ["record", "try"], probes
        assert all(p["tests"] == 1 for p in probes[1:]), probes
    # Nothing beyond the templates is started once a candidate has passed every gate: it would only take the
    # run's time and add rivals to a fix in hand (synthesis.beyond_templates).
    first_pass = next(i for i, e in enumerate(events) if e["event"] == "verdict" and e["accepted"])
    assert not [e for e in events[first_pass:] if e["event"] == "probe"], events[first_pass:]
    assert report["status"] == "fixed"
    assert any(e in report["patch"] for e in expected), report["patch"]
    if files is WEEKDAYS:  # both edits, in one patch
        assert all(e in report["patch"] for e in expected), report["patch"]
    assert report["produced_by"] in engines
    assert f"Produced by the {report['produced_by']} engine" in report["explanation"]
    # The tests the run never saw agree with the patch.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    subprocess.run(["git", "apply"], input=report["patch"], text=True, cwd=clone, check=True)
    (clone / "held_back.py").write_text(files["held_back.py"])
    checked = subprocess.run([sys.executable, "held_back.py"], cwd=clone, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    # The terminal form says the same.
    assert f"Produced by the {report['produced_by']} engine" in shown.stdout


def test_probe_records_values_and_tries_values_in_a_copy(tmp_path):
    """The probe plugin records locals and values, and a try that forces a value makes a failing test pass;
    the instrumented file is written into the scratch copy only."""
    for name, text in FACTORS.items():
        (tmp_path / name).write_text(text)
    source = (tmp_path / "lib.py").read_text()
    src = SourceFile("lib.py", source)
    last = max((n for n in ast.walk(src.tree) if isinstance(n, ast.Return)), key=lambda n: n.lineno).value
    site = Site(1, "lib.py", src.start(last), src.end(last))
    files = {"lib.py": instrument(source, [site])}
    records = probe_run(tmp_path, files, ["test_lib.py::test_prime"], {"mode": "record"}, test_cmd=None,
                        timeout=120, per_test_timeout=30)
    assert records and records[0]["v"] == "[]" and records[0]["env"]["n"] == "13"
    # A comprehension (or lambda) is a scope of its own: it reads the function's locals too (`n` in the element).
    tries = {"test_lib.py::test_prime": [[1, "const", "[12]"], [1, "const", "[13]"], [1, "expr", "[n]"],
                                         [1, "expr", "[n for _ in range(1)]"], [1, "expr", "(lambda: [n])()"]]}
    results = probe_run(tmp_path, files, ["test_lib.py::test_prime"], {"mode": "try", "tries": tries}, test_cmd=None,
                        timeout=120, per_test_timeout=30)
    assert [r["ok"] for r in sorted((r for r in results if "i" in r), key=lambda r: r["i"])] == \
        [False, True, True, True, True]
    # A failing test that hangs at HEAD: its tries are run and the session ends by itself (the "end"
    # record), since the test's own run, which would hang until the run's limit, is left out.
    (tmp_path / "test_poll.py").write_text(textwrap.dedent("""
        from lib import get_factors

        def test_poll_until_prime():
            while get_factors(13) != [13]:
                pass
    """))
    tries = {"test_poll.py::test_poll_until_prime": [[1, "const", "[12]"], [1, "expr", "[n]"]]}
    results = probe_run(tmp_path, files, list(tries), {"mode": "try", "tries": tries, "try_seconds": 0.5},
                        test_cmd=None, timeout=120, per_test_timeout=30)
    assert [r.get("ok") for r in results] == [False, True, None] and results[-1] == {"end": True}


def _hit(test, failing, value, **env):
    return Hit(test, failing, env, value, bool(value))


def test_enumeration_keeps_passing_values_and_changes_failing_ones():
    passing = [(0, 3), (3, -1), (2, 0), (1, 5), (4, 2)]
    hits = [_hit("p", False, r + x, running=r, x=x) for r, x in passing]
    hits += [_hit("f", True, -4, running=0, x=-4), _hit("f", True, 1, running=-4, x=5)]
    base = terminals(hits, ["running + x", "running", "x"], ["0", "1"])
    found = [e.text for e in enumerate_fixes(hits, base, condition=False, original="running + x")]
    assert "max(0, running + x)" in found or "max(running + x, 0)" in found
    assert "running + x" not in found and all(e != "0" for e in found)  # names are required
    assert not [e for e in found if e.startswith("(") and e.endswith(("1) - 1", "1) + 1"))]  # no stacked steps of one


def test_conditions_compare_truth_and_objects_give_attributes():
    obj = SimpleNamespace(size=3)
    hits = [_hit("p", False, True, n=0, box=obj), _hit("f", True, False, n=1, box=obj)]
    base = terminals(hits, ["n == 0"], ["0", "1"])
    assert "box.size" in [e.text for e in base]
    found = [e.text for e in enumerate_fixes(hits, base, condition=True, original="n == 0")]
    assert "n <= 1" in found[:10] or "n < 1 + 1" in found
    # Where the code's truth varied over many hits, one truth throughout is a deleted condition in
    # disguise (bench/bugs luhn: `(i % 2 == 1) < 2`, always True, was claimed): never offered.
    hits = [_hit("f", True, i % 2 == 1, i=i, d=3) for i in range(8)]  # no passing test reaches the loop
    found = enumerate_fixes(hits, terminals(hits, ["i % 2 == 1", "i % 2"], ["1", "2"]), condition=True,
                            original="i % 2 == 1")
    assert found and all(len({bool(v) for v in e.values}) == 2 for e in found)
    assert "(i % 2 == 1) < 2" not in [e.text for e in found]
    # A truth value is compared with truth values only: `n == (n != 0)` (claimed on the base case once
    # rivals went to the gates) is no code anyone writes; `n <= 1` is the first offered.
    hits = [_hit("z", False, True, n=0)] + [_hit("s", True, n == 0, n=n) for n in (3, 2, 1, 0)]
    texts = [e.text for e in enumerate_fixes(hits, terminals(hits, ["n == 0", "n"], ["0", "1"]), condition=True,
                                             original="n == 0", limit=500)]
    assert texts[0] == "n <= 1" and "n <= (not (n == 0))" not in texts and "n == (n != 0)" not in texts
    # `return None` where a value was meant (the seeded library faults' commonest kind): None binds neither
    # the type of the fix nor the passing tests that got it without looking; an attribute qualifies.
    hits = [_hit("p", False, None, box=obj), _hit("f", True, None, box=SimpleNamespace(size=5))]
    found = [e.text for e in enumerate_fixes(hits, terminals(hits, [], ["0"]), condition=False, original="None")]
    assert found[0] == "box.size"
    assert not enumerate_fixes(hits, terminals(hits, [], ["0"]), condition=False, original="nothing")


def test_generators_async_and_calls_are_not_instrumented(tmp_path):
    (tmp_path / "lib.py").write_text(textwrap.dedent('''
        def gen(n):
            yield n + 1

        async def fetch(n):
            return n + 1

        def writes(path, n):
            total = open(path).read()
            return n + 1
    '''))
    notes: list[str] = []
    suspects = [SimpleNamespace(path="lib.py", symbol=s, start_line=1, end_line=20, score=1.0)
                for s in ("gen", "fetch", "writes")]
    sites = synthesis._sites(tmp_path, suspects, {}, notes)
    assert [s.text for s in sites] == ["n + 1"]  # only the return of `writes`, not the call to open()
    assert any("gen: a generator" in n for n in notes) and any("fetch: an async function" in n for n in notes)


def test_statement_ingredients_rename_a_sibling_statement():
    src = SourceFile("lib.py", textwrap.dedent(POINTER["lib.py"]))
    function = src.qualnames["is_palindrome"]
    texts = [m.description for m in statement_ingredients(src, function, lambda line: 1.0)]
    assert any("`right -= 1`" in t for t in texts)
    # The loop waits on `right`, which its body never changes: the statements that step it come first,
    # and are the ones `stepping=True` gives (synthesis gates them before its expressions).
    stepping = [m.description for m in statement_ingredients(src, function, lambda line: 1.0, stepping=True)]
    assert stepping and all("`right " in t for t in stepping) and any("`right -= 1`" in t for t in stepping)
    assert set(stepping) <= set(texts)
    # At the place inside the loop they come first (the place before the loop has no loop to step).
    in_loop = [t for t in texts if t.endswith("after line 16")]
    assert in_loop[: len(stepping)] == stepping


BFS = '''
from collections import deque


def distances(graph, start):
    dist = {start: 0}
    visited = set()
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, ()):
            if nxt not in visited:
                visited.add(nxt)
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist
'''


def test_a_loop_invariant_statement_ingredient_goes_before_the_loop():
    """`visited.add(start)` reads nothing the loops rebind: inside them it passes the tests a cycle back to the
    start makes fail and is wrong on a self-loop (stop 34's wrong claim); it is offered before the outer loop,
    once, however many places inside lead to it. A statement reading the inner loop's name stays inside."""
    src = SourceFile("graph.py", BFS)
    function = src.qualnames["distances"]
    texts = [m.description for m in statement_ingredients(src, function, lambda line: 1.0 / (1 + abs(line - 14)))]
    assert "`visited.add(start)` (ingredient from nearby code) inserted before line 9" in texts
    assert not any("`visited.add(start)`" in t and "after" in t for t in texts)
    assert len(texts) == len(set(texts))
    # `node` is rebound by the outer loop only: before the inner one.
    assert "`visited.add(node)` (ingredient from nearby code) inserted before line 11" in texts


def test_synthesis_never_offers_an_expression_that_leaves_a_local_unread():
    """`node < nxt` for `nxt not in visited` passes tests whose nodes come in order, and leaves `visited`
    written (`visited.add(nxt)`) and never read: not offered. An expression still reading it is."""
    src = SourceFile("graph.py", BFS)
    function = src.qualnames["distances"]
    node = next(n.test for n in ast.walk(function) if isinstance(n, ast.If))
    site = synthesis.ProbeSite(Site(1, "graph.py", src.start(node), src.end(node)), src, node, function, "distances",
                               "condition", 1.0)
    assert synthesis._orphans(site, "node < nxt") == {"visited"}
    assert synthesis._orphans(site, "nxt not in visited and nxt != start") == set()
    value = next(n.value for n in ast.walk(function) if isinstance(n, ast.Assign) and isinstance(n.value, ast.BinOp))
    at_value = synthesis.ProbeSite(Site(2, "graph.py", src.start(value), src.end(value)), src, value, function,
                                   "distances", "value", 1.0)
    assert synthesis._orphans(at_value, "1") == set()  # `dist` is read elsewhere (returned)


def test_a_condition_a_loop_steps_is_never_replaced_by_one_that_reads_only_what_the_loop_never_changes():
    """`if current is None:` in a walk down a path varies with the walk; `'.' < (default or '.')` reads only a
    parameter, one answer on every turn (a constant in disguise): never offered. A `return` is not judged."""
    src = SourceFile("lib.py", textwrap.dedent('''
        def get_path(data, path, default=None):
            current = data
            for part in path.split("."):
                if current is None:
                    return default
                current = current.get(part) if isinstance(current, dict) else None
            return current
    '''))
    function = src.qualnames["get_path"]
    test = next(n.test for n in ast.walk(function) if isinstance(n, ast.If))
    inner = next(n.value for n in ast.walk(function) if isinstance(n, ast.Return))

    def site(node, kind):
        return synthesis.ProbeSite(Site(1, "lib.py", src.start(node), src.end(node)), src, node, function, "get_path",
                                   kind, 1.0)
    assert synthesis._frozen_in_loop(site(test, "condition"), "'.' < (default or '.')")
    assert not synthesis._frozen_in_loop(site(test, "condition"), "not current")
    assert not synthesis._frozen_in_loop(site(inner, "return"), "data")


def test_a_local_written_and_never_read_is_what_a_missing_expression_likely_reads():
    """A seeded `return None` leaves the local the function built unread: expressions reading it rank first
    among those of one cost."""
    src = SourceFile("lib.py", "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return None\n")
    function = src.qualnames["total"]
    node = next(n.value for n in ast.walk(function) if isinstance(n, ast.Return))
    site = synthesis.ProbeSite(Site(1, "lib.py", src.start(node), src.end(node)), src, node, function, "total",
                               "return", 1.0)
    assert synthesis._dead(site) == {"result"}


def test_synthesis_offers_rivals_that_behave_differently_first():
    """Beside the best expression go rivals the tests also let through that behave differently on the
    probed values: the trust stage compares them instead of seeing one lone synthesised patch."""
    site = SimpleNamespace(site=SimpleNamespace(id=1))
    ranked = [((False, cost), site, text, "synthesis", [], (1, values)) for text, values, cost in
              [("best + x", ("a",), 3), ("x + best", ("a",), 3), ("max(0, running + x)", ("b",), 3),
               ("abs(x)", ("c",), 4), ("x - -best", ("a",), 5), ("min(x, 9)", ("d",), 5), ("x // 2", ("e",), 7)]]
    offered = [r[2] for r in synthesis._offered(ranked)]
    # ... one per behaviour (not `x + best`), and only those nearly as small as the best (not `x // 2`).
    assert offered == ["best + x", "max(0, running + x)", "abs(x)", "min(x, 9)"][: synthesis.MAX_CANDIDATES]


def test_tries_take_turns_over_sites_and_a_hanging_test_tries_expressions_first():
    """Tries go round the sites (time may end before the last site's turn); for a test that hangs at HEAD,
    where every try that does not fix it runs its whole limit, the expressions come before the constants."""
    def plan(ident, texts, constants):
        return (SimpleNamespace(site=SimpleNamespace(id=ident)), [SimpleNamespace(text=t) for t in texts], [],
                {"t": constants}, set())
    plans = [plan(1, ["a", "b", "c"], ["0"]), plan(2, ["x"], ["9"])]
    assert synthesis._tries(plans, ["t"]) == {"t": [[1, "const", "0"], [2, "const", "9"], [1, "expr", "a"],
                                                    [2, "expr", "x"], [1, "expr", "b"], [1, "expr", "c"]]}
    assert synthesis._tries(plans, ["t"], {"t"})["t"][:2] == [[1, "expr", "a"], [2, "expr", "x"]]


def test_pairs_are_template_edits_inside_two_probed_expressions_likeliest_first():
    """A site's variants are the template edits that stay inside its expression; pairs join two sites, at
    least one reached by a failing test, and neither overlaps the other."""
    from suture.agent.propose import pairs
    from suture.agent.propose.rules import template_priors

    src = SourceFile("lib.py", textwrap.dedent(WEEKDAYS["lib.py"]))
    function = src.qualnames["advance"]
    values = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)]
    sites = [SimpleNamespace(site=Site(i + 1, "lib.py", src.start(v), src.end(v)), text=src.segment(v), weight=1.0,
                             src=src, function=function) for i, v in enumerate(values)]
    mutations = pairs.function_mutations(src, function)
    per_site = [(s, pairs.variants(s, mutations, template_priors())) for s in sites]
    texts = {s.text: [v.text for v in found] for s, found in per_site}
    assert "day + days - 1" in texts["day + days"] and "index % 7 + 1" in texts["index % 7"]
    assert all(len(found) <= pairs.MAX_VARIANTS and s.text not in [v.text for v in found] for s, found in per_site)
    # Only the template edits inside the expression: nothing of the statement around it.
    assert all(ast.parse(t, mode="eval") for found in texts.values() for t in found)
    made = pairs.pair_list(per_site, failing_sites={3})
    assert made and all({x.site.site.id, y.site.site.id} & {3} and x.site is not y.site for x, y in made)
    weights = [x.weight * y.weight for x, y in made]
    assert weights == sorted(weights, reverse=True)
    assert not pairs.pair_list(per_site, failing_sites=set())  # no failing test reached any site


def test_pairs_with_a_static_anti_pattern_are_flagged_to_go_last():
    """Of two-edit pairs the tests let through, one that leaves a function no longer symmetric in its two
    parameters is flagged (offered after clean ones): both `min`/`max` swapped is clean, one swapped with an
    index moved on one side only is not."""
    from suture.agent.propose import pairs

    src = SourceFile("geo.py", textwrap.dedent('''
        def overlap(p, q):
            lo = min(p[0], q[0])
            hi = max(p[1], q[1])
            return (lo, hi) if lo < hi else None
    '''))
    function = src.qualnames["overlap"]
    values = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)]
    sites = [SimpleNamespace(site=Site(i + 1, "geo.py", src.start(v), src.end(v)), text=src.segment(v), weight=1.0,
                             src=src, function=function) for i, v in enumerate(values)]
    lo, hi = sites

    def variant(site, text):
        return pairs.Variant(site, text, 1.0, "")
    assert not pairs._flagged((variant(lo, "max(p[0], q[0])"), variant(hi, "min(p[1], q[1])")))
    assert pairs._flagged((variant(lo, "max(p[0], q[0])"), variant(hi, "max(p[1], q[0])")))
    assert not pairs._flagged(variant(lo, "max(p[0], q[0])"))
    # Alone, on the function's own text: an edit that breaks the symmetry is flagged, and its pairs go far down.
    assert pairs._flagged_alone(variant(hi, "max(p[1], q[0])")) and not pairs._flagged_alone(variant(hi, "min(p[1], q[1])"))
    flagged = dataclasses.replace(variant(hi, "max(p[1], q[0])"), weight=2.0, flagged=True)
    made = pairs.pair_list([(lo, [variant(lo, "max(p[0], q[0])")]), (hi, [flagged, variant(hi, "min(p[1], q[1])")])], {1})
    assert [y.text for _, y in made] == ["min(p[1], q[1])", "max(p[1], q[0])"]


def test_tries_edit_two_sites_at_once_and_skip_pairs_with_an_edit_that_hung(tmp_path):
    """A try may edit two sites together (a pair passes where each edit alone fails); an edit whose one-edit try
    ran out its limit (a loop that no longer ends) is not run again inside a pair, and later tries of the
    test get a limit near what its finished tries took."""
    (tmp_path / "lib.py").write_text(textwrap.dedent(WEEKDAYS["lib.py"]))
    (tmp_path / "test_lib.py").write_text(textwrap.dedent("""
        from lib import advance

        def test_to_sunday():
            with open("runs.log", "a") as log:
                log.write("run\\n")
            assert advance(3, 4) == (0, 7)
    """))
    src = SourceFile("lib.py", (tmp_path / "lib.py").read_text())
    values = [n.value for n in ast.walk(src.tree) if isinstance(n, ast.Assign)]
    sites = [Site(i + 1, "lib.py", src.start(v), src.end(v)) for i, v in enumerate(values)]
    files = {"lib.py": instrument(src.text, sites)}
    endless = "next(x for x in iter(int, 1) if x)"  # never ends (and allocates nothing): runs out its limit
    tries = {"test_lib.py::test_to_sunday": [
        [1, "expr", "day + days - 1"], [3, "expr", "index % 7 + 1"],
        [[1, "expr", "day + days - 1"], [3, "expr", "index % 7 + 1"]],
        [2, "expr", endless], [[2, "expr", endless], [3, "expr", "index % 7 + 1"]]]}
    results = probe_run(tmp_path, files, list(tries), {"mode": "try", "tries": tries, "try_seconds": 5},
                        test_cmd=None, timeout=120, per_test_timeout=30)
    assert [r.get("ok") for r in results] == [False, False, True, False, False, None], results
    # Four runs of the test: the pair with the endless edit was reported failed without running (and the
    # endless try was stopped near 20 times the finished tries' time, not at the plan's 5 s: not timed here).
    assert (tmp_path / "runs.log").read_text().count("run") == 4


def test_conditions_calling_read_only_str_methods_are_probed_and_others_are_not():
    """`text[i].isalpha()` only reads its string: its condition is probed (and the templates' `isalnum` tried in
    place there); a call of anything else (`.append`, a function of the project) keeps the expression out."""
    def unsafe(text):
        return synthesis._unsafe(ast.parse(text, mode="eval").body)
    assert unsafe('i < n and (text[i].isalpha() or text[i] == "_")') == ""
    assert unsafe("name.strip().lower()") == ""
    assert unsafe("text.split(sep)") == "" and unsafe("line.partition(':')") == ""
    assert unsafe("items.append(x)") and unsafe("load(path).isalpha()") and unsafe("path.replace(target)")


def test_conversions_parse_a_string_with_a_separator_it_holds_or_an_unused_parser():
    """A string site's candidates beyond its type: split as integers on the punctuation every recorded value holds
    between digits; a reading function of a standard-library import the file never uses (never one that writes,
    never a project module, never an import the file uses)."""
    src = SourceFile("lib.py", textwrap.dedent('''
        import csv
        import json
        from shlex import split, quote
        from lib2 import loads

        def key(stamp):
            return stamp

        def fields(line):
            return line.split(",")

        def dump(x):
            return json.dumps(x)
    '''))
    returns = [n.value for n in ast.walk(src.tree) if isinstance(n, ast.Return)]
    dated = [Hit("t", i == 0, {"stamp": v}, v, True) for i, v in enumerate(["2024-01-05", "2023-12-31"])]
    assert conversions(src, returns[0], "return", dated)[0] == "tuple(map(int, stamp.split('-')))"
    assert conversions(src, returns[0], "condition", dated) == []
    lines = [Hit("t", True, {"line": '"a, b",c'}, ["x"], True)]
    found = conversions(src, returns[1], "return", lines)
    assert "next(csv.reader([line]))" in found and "split(line)" in found
    assert not [t for t in found if "json" in t or "quote" in t or "loads" in t or "register" in t]
    # Words, not numbers: no split as integers.
    assert not [t for t in conversions(src, returns[1], "return", lines) if "map(int" in t]


def test_a_repeated_element_is_rebuilt_per_index_from_the_element_values():
    """`[x] * n` cut into one hit per element, the index bound: element expressions and stepped conditions that read
    the index (one that does not is the same list again), and one fresh display per slot for a container."""
    src = SourceFile("lib.py", textwrap.dedent('''
        def columns(items, width):
            rows, spill = divmod(items, width)
            return [rows] * width

        def buckets(n):
            return n * [[]]

        def ones(n):
            return [1, 1]
    '''))
    returns = [n.value for n in ast.walk(src.tree) if isinstance(n, ast.Return)]
    # 9 items over 3 columns pass; 7 over 3 fail: the spill goes to the first columns.
    hits = [Hit("even", False, {"items": 9, "width": 3, "rows": 3, "spill": 0}, [3, 3, 3], None),
            Hit("spill", True, {"items": 7, "width": 3, "rows": 2, "spill": 1}, [2, 2, 2], None)]
    found = elementwise(returns[0], src.segment, "return", hits, ["0", "1"], time.monotonic() + 5)
    assert found[0] == "[rows + 1 if i < spill else rows for i in range(width)]", found
    comprehensions = [ast.parse(t, mode="eval").body for t in found]
    assert all(ast.unparse(c.generators[0]).strip() == "for i in range(width)" for c in comprehensions), found
    assert all("i" in {n.id for n in ast.walk(c.elt) if isinstance(n, ast.Name)} for c in comprehensions), found
    assert elementwise(returns[0], src.segment, "condition", hits, ["0"], time.monotonic() + 5) == []
    # A name the function binds is never the index.
    taken = [dataclasses.replace(h, env={**h.env, "i": 0}) for h in hits]
    assert all(" for j in " in t for t in elementwise(returns[0], src.segment, "return", taken, [], time.monotonic() + 5))
    lists = [Hit("t", True, {"n": 2}, [[], []], None)]
    assert elementwise(returns[1], src.segment, "return", lists, [], time.monotonic() + 5)[0] == \
        "[[] for _ in range(n)]"
    assert elementwise(returns[2], src.segment, "return", [Hit("t", True, {"n": 2}, [1, 1], None)], [],
                       time.monotonic() + 5) == []
