"""Authoring aid for the bug corpus: turn a correct program into its committed buggy form.

A new bug is written as the CORRECT program (sources, tests/test_visible.py,
heldout/test_heldout.py) plus bug.toml with `kind`, `description` and one `[[edit]]` per
change (`path`, `fixed`: text in the correct file, `buggy`: what it becomes; each `fixed`
must occur exactly once). Then

    python bench/bugs/author.py NAME...      # or --all

writes the bug into the sources, writes fix.diff (buggy -> correct, `git apply`-able at the
buggy version), adds the standard pyproject.toml when the program has none, validates the bug
(corpus.check_bug) and records in bug.toml whether the held-back suite also fails on the buggy
version. Run again on an authored bug it only re-validates. The edits stay in bug.toml as the
record of what the bug is.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
"""


def seed_bug(root: Path) -> None:
    meta = tomllib.loads((root / "bug.toml").read_text())
    edits = meta.get("edit", [])
    if not edits:
        raise corpus.BugCorpusError(f"{root.name}: bug.toml has no [[edit]]")
    originals: dict[str, str] = {}
    for edit in edits:
        path = root / edit["path"]
        current = path.read_text()
        originals.setdefault(edit["path"], current)
        if current.count(edit["fixed"]) != 1:
            raise corpus.BugCorpusError(
                f"{root.name}: {edit['fixed']!r} occurs {current.count(edit['fixed'])} times in {edit['path']}")
        path.write_text(current.replace(edit["fixed"], edit["buggy"]))
    diff = []
    for rel, fixed_text in sorted(originals.items()):
        buggy_text = (root / rel).read_text()
        diff += difflib.unified_diff(buggy_text.splitlines(keepends=True), fixed_text.splitlines(keepends=True),
                                     f"a/{rel}", f"b/{rel}")
    (root / "fix.diff").write_text("".join(diff))


def record(root: Path, heldout_fails: bool) -> None:
    path = root / "bug.toml"
    text = re.sub(r"(?m)^heldout_fails_on_buggy = .*\n", "", path.read_text())
    path.write_text(f"heldout_fails_on_buggy = {'true' if heldout_fails else 'false'}\n" + text)


def author(root: Path) -> list[str]:
    if not (root / "pyproject.toml").exists():
        (root / "pyproject.toml").write_text(PYPROJECT.format(name=root.name.replace("_", "-")))
    if not (root / "fix.diff").exists():
        seed_bug(root)
    check = corpus.check_bug(corpus.load_bug(root))
    if not check.problems:
        record(root, bool(check.heldout_failed_buggy))
    return check.problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    roots = ([b.root for b in corpus.load_bugs()] if args.all
             else [corpus.BUGS_DIR / n for n in args.names])
    bad = 0
    for root in roots:
        problems = author(root)
        bad += bool(problems)
        print(f"{root.name}: {'ok' if not problems else '; '.join(problems)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
