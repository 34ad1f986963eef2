"""Telling test code from the code under test: the one rule every part of suture asks.

The search's prior, the repo map, localisation (a test is never a suspect), the coverage
tracer (tests are never traced: tools/coverage_plugin.omit_globs writes this rule as
coverage.py globs, because the plugin runs where suture is not importable), the edits'
refusal to touch tests, the verifier gate, `check` and the reproduction all use it.

Two questions, two functions:

- `is_test_path`: is this file test code at all (a test module, a conftest, a helper in a
  tests/ folder)? Where the copies that used to answer this disagreed, the decisions were:
  a `testing/` folder is *not* test code (numpy.testing, pandas._testing and the like ship
  inside the library and can hold the bug), `__tests__/`, `*.test.*` and `*.spec.*` are (the
  JavaScript conventions the search indexes), and `*_tests.py` is (a suite of tests under a
  name pytest does not collect by default is still test code).
- `is_test_module`: is it a file pytest collects tests from by default (`test_*.py`,
  `*_test.py`)? A conftest or a helper changes how tests run but holds none of its own.
"""

from __future__ import annotations

from pathlib import PurePosixPath

__all__ = ["TEST_DIRS", "is_test_module", "is_test_path"]

TEST_DIRS = frozenset({"test", "tests", "__tests__"})


def is_test_path(path: str) -> bool:
    """True for test code: under a test/, tests/ or __tests__/ folder, or named test_*, *_test,
    *_tests, *.test, *.spec or conftest (any extension); `path` is relative to the repo."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if not parts:
        return False
    *folders, name = parts
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (
        any(folder in TEST_DIRS for folder in folders)
        or stem == "conftest"
        or stem.startswith("test_")
        or stem.endswith(("_test", "_tests", ".test", ".spec"))
    )


def is_test_module(path: str) -> bool:
    """True for a Python file pytest collects tests from by default: test_*.py or *_test.py."""
    name = PurePosixPath(path.replace("\\", "/")).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
