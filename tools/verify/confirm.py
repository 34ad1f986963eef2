"""A counterexample confirmed as a failing pytest test, in the tree where it was found.

A backend's finding rejects a candidate only as evidence a person can run: the counterexample
is written as a pytest file next to the code's import root and must fail there under the
project's own pytest (not for a collection error). The file is removed again either way; the
caller keeps a copy with the run's evidence.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from suture.tools.verify.counterexample import ReplayResult, write_pytest_test
from suture.tools.verify.verifier import import_root, run_bounded

__all__ = ["counterexample_test", "fails_under_pytest"]


def counterexample_test(target: Any, inputs: dict[str, str], result: ReplayResult) -> tuple[str, str]:
    """(the pytest file's text, its path relative to the repository: next to the import root)."""
    root = import_root(target.file)
    stem = re.sub(r"\W+", "_", target.function).strip("_")
    dest = root / f"test_suture_counterexample_{stem}.py"
    note = f"{target.path}::{target.function}"
    try:
        write_pytest_test(target, inputs, result, dest, kind="contracts", note=note)
        text = dest.read_text(encoding="utf-8")
    finally:
        dest.unlink(missing_ok=True)
    return text, dest.relative_to(target.root.resolve()).as_posix()


def fails_under_pytest(root: Path, install_as: str, text: str, time_limit: float) -> tuple[bool, str]:
    """Run the counterexample test in the candidate's tree: it must fail (and not for a collection error)."""
    dest = root / install_as
    if dest.exists():
        return False, f"{install_as} already exists in the repository"
    dest.write_text(text, encoding="utf-8")
    try:
        done = run_bounded([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", "-rN", install_as],
                           cwd=root, time_limit=time_limit)  # in the candidate's tree, sandboxed as its tests are
    finally:
        dest.unlink(missing_ok=True)
        cache = dest.parent / "__pycache__"
        for compiled in cache.glob(f"{dest.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)
    if done.timed_out:
        return False, f"pytest did not finish within {time_limit:g} s"
    # Exit 1: tests ran and failed. 2-4 would be an interrupted run or a collection/usage error.
    if done.returncode == 1 and " failed" in done.stdout:
        return True, ""
    tail = (done.stdout.strip().splitlines() or [f"exit {done.returncode}"])[-1]
    return False, f"pytest says: {tail}"
