"""`suture localize --issue/--issue-file ... --explain` (issue 19's "the issue's words"), through
the real CLI: real pytest and coverage, real tree-sitter and BM25, a real git repo.

The repo's one failing test runs `apply_discount` and `add_shipping` alike, so SBFL ties them;
only the issue text can tell them apart.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys

from conftest import last_json, suture

TIED = {
    "shop/__init__.py": "",
    "shop/prices.py": """
        def apply_discount(cents, quantity):
            \"\"\"Bulk orders of ten or more get ten percent off.\"\"\"
            if quantity >= 10:
                return cents * 8 // 10
            return cents


        def add_shipping(cents):
            \"\"\"Shipping is a flat fee.\"\"\"
            return cents + 500


        def checkout(cents, quantity):
            return add_shipping(apply_discount(cents, quantity) * quantity)
    """,
    "tests/test_prices.py": """
        from shop.prices import checkout


        def test_bulk_checkout():
            assert checkout(100, 10) == 1400
    """,
}

WORDS = """Bulk discount is wrong

When I order ten items I get 20% off instead of 10%.
"""

# As a user pastes it: their own paths, their line numbers (one line off from HEAD's), a caller above.
TRACEBACK = """Checkout crashes with a price given as text

Traceback (most recent call last):
  File "/home/me/app/main.py", line 3, in <module>
    checkout("100", 1)
  File "/home/me/venv/lib/python3.12/site-packages/shop/prices.py", line 14, in checkout
    return add_shipping(apply_discount(cents, quantity) * quantity)
  File "/home/me/venv/lib/python3.12/site-packages/shop/prices.py", line 11, in add_shipping
    return cents + 500
TypeError: can only concatenate str (not "int") to str
"""

GERMAN = ("Der Rabatt für Großbestellungen ist falsch: bei zehn Stück bekomme ich zwanzig Prozent statt "
          "zehn Prozent, das sollte so nicht sein und ärgert unsere Kunden sehr.")


VAGUE = ("Something is not right here and it has been like this for a while now. It should work but it "
         "does not, and we would like to know why. Thanks for looking into it when there is time.")


def _names(report):
    return [s["symbol"] for s in report["ranking"]]


def test_without_issue_text_the_ranking_is_sbfls_and_an_unusable_text_changes_nothing(make_repo):
    repo = make_repo(TIED)
    plain = suture("localize", "--json", cwd=repo)
    assert plain.returncode == 0, plain.stderr
    ranking = last_json(plain)["ranking"]
    # SBFL as before: the function the failing line calls first, the two it runs tied, the module last.
    assert _names(last_json(plain))[0] == "checkout"
    assert {s["symbol"] for s in ranking[1:3]} == {"apply_discount", "add_shipping"}
    assert ranking[1]["score"] == ranking[2]["score"]
    assert set(ranking[0]) == {"path", "symbol", "start_line", "end_line", "score"}  # no signals unless --explain

    german = suture("localize", "--json", "--issue", GERMAN, cwd=repo)
    assert german.returncode == 0, german.stderr
    assert last_json(german)["ranking"] == ranking  # weight 0: the very same ranking and scores
    assert "does not read as English" in german.stderr and "weight 0" in german.stderr

    vague = suture("localize", "--json", "--issue", VAGUE, cwd=repo)  # English, but it names nothing in the code
    assert vague.returncode == 0, vague.stderr
    assert last_json(vague)["ranking"] == ranking
    assert "matches no function" in vague.stderr and "weight 0" in vague.stderr


def test_issue_words_break_the_sbfl_tie_and_explain_names_the_signal(make_repo, tmp_path):
    repo = make_repo(TIED)
    issue = tmp_path / "issue.md"
    issue.write_text(WORDS)
    done = suture("localize", "--json", "--explain", "--issue-file", str(issue), cwd=repo)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert _names(report)[0] == "apply_discount"
    top = report["ranking"][0]["signals"]
    assert top["issue_bm25"]["rank"] == 1 and top["issue_bm25"]["weight"] > 0
    shipping = next(s for s in report["ranking"] if s["symbol"] == "add_shipping")
    assert shipping["signals"]["sbfl"]["score"] == top["sbfl"]["score"]  # SBFL still ties them
    assert "issue_bm25" not in shipping["signals"]  # the words match the discount, not the shipping

    table = suture("localize", "--explain", "--issue", WORDS, cwd=repo)
    assert table.returncode == 0, table.stderr
    explained = table.stdout[table.stdout.index("why each suspect"):]
    first = explained.split("\n  2.")[0]
    assert "apply_discount" in first and "ochiai" in first and "issue text search: BM25" in first


def test_a_quoted_traceback_puts_its_innermost_function_first(make_repo):
    repo = make_repo(TIED)
    done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "localize", "--json", "--explain",
                           "--issue-file", "-"], input=TRACEBACK, cwd=repo, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert _names(report)[0] == "add_shipping"
    frame = report["ranking"][0]["signals"]["issue_traceback"]
    assert frame["innermost"] is True and frame["frame"].endswith("prices.py:11 in add_shipping")
    caller = next(s for s in report["ranking"] if s["symbol"] == "checkout")["signals"]["issue_traceback"]
    assert caller["innermost"] is False and caller["value"] < frame["value"]


REFUND_CRASH = """Refunds crash

Traceback (most recent call last):
  File "/home/me/app/main.py", line 3, in <module>
    refund(100)
  File "/home/me/venv/lib/python3.12/site-packages/shop/refunds.py", line 2, in refund
    return cents - fee
NameError: name 'fee' is not defined
"""


def test_a_function_no_test_runs_is_ranked_by_the_issue_alone_and_explain_says_so(make_repo):
    repo = make_repo({**TIED, "shop/refunds.py": "def refund(cents):\n    return cents - fee\n"})
    done = suture("localize", "--explain", "--issue", REFUND_CRASH, cwd=repo)
    assert done.returncode == 0, done.stderr
    lines = done.stdout[done.stdout.index("why each suspect"):].splitlines()
    start = next(i for i, line in enumerate(lines) if "shop/refunds.py::refund" in line)
    block = [lines[start]] + list(itertools.takewhile(lambda line: not re.match(r"\s*\d+\. ", line), lines[start + 1:]))
    said = "\n".join(block)
    assert "sbfl: no failing test ran it" in said and "issue traceback:" in said and "where it raised" in said, said


def test_fix_passes_its_issue_text_to_localisation(make_repo, tmp_path):
    repo = make_repo(TIED)
    issue = tmp_path / "issue.md"
    issue.write_text(WORDS)
    done = suture("fix", "--json", "--max-candidates", "0", "--issue-file", str(issue), cwd=repo)
    assert done.returncode in (1, 5), done.stderr  # no candidate, no model: not fixed (or out of time on a busy machine)
    trajectory = repo / ".suture" / "runs" / last_json(done)["run_dir"].rsplit("/", 1)[-1] / "trajectory.jsonl"
    localised = next(json.loads(line) for line in trajectory.read_text().splitlines() if '"localised"' in line)
    assert localised["ranking"][0]["symbol"] == "apply_discount"


def test_bad_issue_input_gets_one_sentence_and_exit_2(make_repo, tmp_path):
    repo = make_repo(TIED)
    binary = tmp_path / "screenshot.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8)
    for args, said in [
        (("--issue-file", str(tmp_path / "missing.md")), "cannot read --issue-file"),
        (("--issue-file", str(binary)), "is not text"),
        (("--issue-file", str(tmp_path)), "cannot read --issue-file"),
        (("--issue", "x", "--issue-file", str(binary)), "exclude each other"),
    ]:
        for command in ("localize", "fix"):
            done = suture(command, *args, cwd=repo)
            assert done.returncode == 2, (command, args, done.stderr)
            assert said in done.stderr and "Traceback" not in done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
