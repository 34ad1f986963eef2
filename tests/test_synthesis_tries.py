"""Synthesis's in-place tries (issue 18, stop 34): a try that lost once is not run again, and the template
edits inside a probed expression are screened alone far past the few that are paired."""

from __future__ import annotations

import ast
import textwrap
from types import SimpleNamespace

from suture.agent.propose import pairs
from suture.agent.propose.rules import template_priors
from suture.agent.propose.templates import SourceFile
from suture.tools.testing.angelic import Site, instrument, probe_run

MAZE = '''\
STEPS = [(1, 0), (-1, 0), (0, 1), (0, -1)]


def neighbours(r, c, rows, cols):
    out = []
    for dr, dc in STEPS:
        nr, nc = r + dr, c + dr
        if 0 <= nr < rows and 0 <= nc < cols:
            out.append((nr, nc))
    return out
'''


def test_a_try_every_test_must_pass_is_not_run_again_once_it_failed_one(tmp_path):
    """With "all_must_pass", an expression that failed the first failing test is recorded failed for the second
    without running it; a constant (each test's own angelic value) still runs for every test."""
    (tmp_path / "lib.py").write_text("def double(x):\n    return x + x + 1\n")
    (tmp_path / "test_lib.py").write_text(textwrap.dedent("""
        from lib import double

        def log():
            with open("runs.log", "a") as fh:
                fh.write("run\\n")

        def test_two():
            log()
            assert double(1) == 2

        def test_six():
            log()
            assert double(3) == 6
    """))
    src = SourceFile("lib.py", (tmp_path / "lib.py").read_text())
    node = src.tree.body[0].body[0].value
    files = {"lib.py": instrument(src.text, [Site(1, "lib.py", src.start(node), src.end(node))])}
    plan = [[1, "expr", "x + 1"], [1, "expr", "x * 2"], [1, "const", "2"]]
    tries = {"test_lib.py::test_two": plan, "test_lib.py::test_six": plan}
    results = probe_run(tmp_path, files, list(tries), {"mode": "try", "tries": tries, "all_must_pass": True},
                        test_cmd=None, timeout=120, per_test_timeout=30)
    got = {(r["t"].split("::")[1], r["i"]): (r["ok"], r.get("skipped", False)) for r in results if "i" in r}
    assert got == {("test_two", 0): (True, False), ("test_two", 1): (True, False), ("test_two", 2): (True, False),
                   ("test_six", 0): (False, False), ("test_six", 1): (True, False), ("test_six", 2): (False, False)}
    # Once more, with `x + 1` failing the first test: it is skipped for the second (five runs, not six).
    (tmp_path / "runs.log").unlink()
    tries = {"test_lib.py::test_six": plan, "test_lib.py::test_two": plan}
    results = probe_run(tmp_path, files, ["test_lib.py::test_six", "test_lib.py::test_two"],
                        {"mode": "try", "tries": tries, "all_must_pass": True}, test_cmd=None, timeout=120,
                        per_test_timeout=30)
    skipped = [(r["t"].split("::")[1], r["i"]) for r in results if r.get("skipped")]
    assert skipped == ([("test_two", 0)] if results[0]["t"].endswith("test_six") else [("test_six", 0)]), results
    assert (tmp_path / "runs.log").read_text().count("run") == 5


def test_template_edits_are_screened_alone_past_the_paired_few():
    """`c + dr` -> `c + dc` is far down the list of edits inside `r + dr, c + dr` (each name swapped for each
    other name, each operator turned): past the few that are paired, in the many screened alone."""
    src = SourceFile("lib.py", MAZE)
    function = src.qualnames["neighbours"]
    node = next(n.value for n in ast.walk(function) if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple))
    site = SimpleNamespace(site=Site(1, "lib.py", src.start(node), src.end(node)), text=src.segment(node), weight=1.0,
                           src=src, function=function)
    mutations = pairs.function_mutations(src, function)
    paired = [v.text for v in pairs.variants(site, mutations, template_priors())]
    alone = [v.text for v in pairs.variants(site, mutations, template_priors(), pairs.MAX_SINGLES)]
    assert "r + dr, c + dc" not in paired and "r + dr, c + dc" in alone
    assert alone[: len(paired)] == paired and len(paired) == pairs.MAX_VARIANTS


REACH = '''\
def distances(graph, start):
    dist = {start: 0}
    visited = set()
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in graph.get(node, ()):
            if nxt not in visited:
                visited.add(nxt)
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist
'''


def test_statement_ingredients_read_no_local_before_its_first_assignment():
    """`visited.add(nxt)` renamed to `visited.add(start)` (the start node never marked) goes after `visited = set()`;
    nothing is offered that reads `visited` or `queue` above the lines that first assign them."""
    from suture.agent.propose.ingredients import statement_ingredients

    src = SourceFile("lib.py", REACH)
    made = [(m.line, m.description.split("`")[1]) for m in statement_ingredients(src, src.qualnames["distances"],
                                                                                 lambda line: 1.0)]
    assert (3, "visited.add(start)") in made
    assert not [m for m in made if (m[0] < 3 and "visited" in m[1]) or (m[0] < 4 and "queue" in m[1])], made
