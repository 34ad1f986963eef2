"""`suture check`: the pre-commit gate on the staged changes, offline and under a hard time cap.

What is checked is exactly what `git commit` would record: the index (the staged blobs),
never the working tree, so unstaged edits neither hide nor cause a finding. The staged
snapshot is built in a scratch directory from git's objects (HEAD's tree, then the staged
blobs of the changed paths written over it); the user's working tree and index are only
read.

Three findings, each with file:line; any of them exits 1:

1. **parse** — a staged .py file CPython cannot compile, when the same file compiled at
   HEAD (a file that was already broken, say a deliberately invalid fixture, is left alone);
2. **test** — a test that covers a changed function fails on the staged snapshot and
   passes at HEAD (both runs of the same test ids; a test that passes its in-session rerun
   is flaky and only noted);
3. **contract** — the bounded verifier (CrossHair, contracts mode, a small bound) finds a
   reproduced counterexample to a changed function's contract (its `pre:`/`post:` docstring
   conditions, icontract/deal decorators or leading asserts) that the HEAD version does not
   have. Functions without contracts are not verified: a crash any input can provoke
   (`a / b` with b=0) is not a reason to block a commit.

Which tests cover which function comes from a coverage map of the suite at HEAD (per-test
line coverage, tools/coverage_plugin), lifted to functions and cached in
.suture/check/coverage-map.json. It is kept up to date with HEAD's tests within the time
cap: a test module that changed since is re-run alone with coverage and its entries
replaced; a change to the test set-up (the test command, pytest configuration, conftest.py,
helper files of the test tree) rebuilds the map with one run of the whole suite; a run the
cap cuts off keeps every test it finished (the map is saved per test, not per module), and the
next check goes on with the rest: the module it cut (its node ids not mapped yet), then the modules
it did not reach. A test the cap killed twice is left out of the map, said in a warning, until a
check has more than twice its time to spare. Until the map is complete the changed functions are
reported unchecked, in the text as in the JSON.
Source files changing at HEAD keep the map: entries are keyed by function name, not line,
so they survive edits around them (a test that has newly come to reach a function through
a changed caller is only seen after the next rebuild).

The time cap is hard: when it is reached, whatever runs is killed, a warning says which
part of the check did not happen, and the exit is 0 unless a finding was already made (a
commit is never blocked for being slow). No model is ever used.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.guard import git_toplevel
from suture.retrieval.model import CLASS, Symbol, innermost_symbol
from suture.retrieval.parse import parse_source
from suture.retrieval.testfiles import is_test_module, is_test_path
from suture.tools.testing.coverage_plugin import ENV_FILE, ENV_ITEMS, ENV_ROOT
from suture.tools.git import cmd as gitcmd
from suture.tools.git.cmd import GitError, run as run_git
from suture.tools.testing.pytest_results_plugin import SKIP_ENV
from suture.tools.testing.spectra import Spectra
from suture.tools.testing.testrun import TERM_GRACE_SECONDS, TestRun, TestRunError, detect_test_command, is_pytest_command, run_tests
from suture.tools.verify.verifier import Target, import_root, verify

__all__ = ["CheckOutcome", "Finding", "run_check", "summary", "DEFAULT_TIME_CAP", "DEFAULT_BOUND"]

DEFAULT_TIME_CAP = 20.0
DEFAULT_BOUND = 10  # CrossHair iterations without new coverage: a small bound, seconds not minutes
# Seconds kept back from a test run for stopping it and reading it when the cap cuts it off. The
# coverage-map run, which the cap cuts routinely, gets testrun's whole SIGTERM-then-SIGKILL sequence
# (a test inside a long C call, such as importing a huge module, does not see SIGTERM, and testrun
# waits its grace twice before the SIGKILL). The covering-test runs, short and rarely cut, get a
# second: one that the cap cuts while a test sits in C code can overrun by up to testrun's grace.
STOP_RESERVE = 1.0
MAP_STOP_RESERVE = 2 * TERM_GRACE_SECONDS + 1.0
VERIFY_SECONDS = 4.0  # per function; the cap still rules
MAX_VERIFIED = 6  # changed functions with contracts verified per check, in file order
MAP_VERSION = 2
MAP_FILE = Path(".suture") / "check" / "coverage-map.json"
COVERAGE_PLUGIN = "suture.tools.testing.coverage_plugin"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
GITLINK = "160000"
SYMLINK = "120000"
# Files whose change can change which tests exist or how they run (besides test files).
_TEST_CONFIG = {"pytest.ini", ".pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"}
# Variables git sets for hooks; a test in the snapshot running git must not reach the user's repo.
_GIT_VARIABLES = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY",
                  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX")


class _OutOfTime(Exception):
    """The time cap was reached; `what` names the part of the check that did not happen."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class Finding:
    kind: str  # "parse" | "test" | "contract"
    path: str
    line: int
    symbol: str  # the changed function ("" for a parse finding)
    message: str
    test: str = ""  # the test's node id (kind "test")
    test_location: str = ""  # path:line where the test failed (its assertion)
    inputs: dict[str, str] = field(default_factory=dict)  # the counterexample (kind "contract")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.kind == "parse":
            return f"{where}: syntax error: {self.message}"
        if self.kind == "test":
            head = f"{where}: {self.symbol} (changed) breaks {self.test}, which passes at HEAD"
            return head + f"\n    {self.test_location or self.test}: {self.message}"
        args = ", ".join(f"{name}={value}" for name, value in self.inputs.items())
        return f"{where}: {self.symbol} violates its contract for {args or 'some input'}\n    {self.message}"


@dataclass
class CheckOutcome:
    findings: list[Finding]
    exit_code: ExitCode
    report: dict[str, Any]


@dataclass
class _Change:
    """One staged path: its blobs at HEAD and in the index (None: absent there)."""

    path: str
    old_blob: str | None
    new_blob: str | None
    old_mode: str
    new_mode: str
    old_lines: set[int] = field(default_factory=set)  # changed lines of the HEAD version
    new_lines: set[int] = field(default_factory=set)  # changed lines of the staged version
    hunks: list[tuple[int, int, int, int]] = field(default_factory=list)  # (old start, count, new start, count)


@dataclass
class _Unit:
    """A changed function (or "<module>" for changes outside any function) of one file."""

    path: str
    symbol: str
    line: int  # first line in the staged file (in the HEAD file when deleted)
    has_contracts: bool = False
    exists_staged: bool = True
    exists_head: bool = True

    @property
    def is_function(self) -> bool:
        return self.symbol != MODULE


MODULE = "<module>"


class _Clock:
    def __init__(self, cap: float) -> None:
        self.started = time.monotonic()
        self.cap = cap

    def left(self) -> float:
        return self.cap - (time.monotonic() - self.started)

    def need(self, seconds: float, what: str) -> float:
        """Seconds left, or _OutOfTime when fewer than `seconds` remain."""
        left = self.left()
        if left < seconds:
            raise _OutOfTime(what)
        return left

    def budget(self, what: str, reserve: float = STOP_RESERVE) -> float:
        """Seconds to give a test run so that stopping it still ends within the cap (`reserve` is
        kept back, at most a third of what is left), or _OutOfTime."""
        left = self.need(1.0, what)
        return left - min(reserve, left / 3)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


# ---------------------------------------------------------------- git, read only


def _git(top: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    try:
        done = run_git(top, *args, input=input, env=env)
    except GitError as exc:
        raise SutureExit(str(exc)) from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SutureExit(f"git {args[0]} failed in {top}: {reason[-1] if reason else f'exit {done.returncode}'}.")
    return done.stdout


def _head(top: Path) -> str | None:
    try:
        return gitcmd.head_commit(top)
    except GitError as exc:
        raise SutureExit(str(exc)) from None


def _staged(top: Path, base: str) -> list[_Change]:
    """The index's differences from `base`, renames as delete + add; gitlinks left out."""
    raw = _git(top, "diff", "--cached", "--raw", "-z", "--no-renames", "--no-ext-diff", "--no-abbrev", base)
    fields = raw.split(b"\0")
    changes = []
    for i in range(0, len(fields) - 1, 2):
        meta, path = fields[i].decode(), fields[i + 1].decode("utf-8", "surrogateescape")
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, old_sha, new_sha, status = meta[1:].split()
        if GITLINK in (old_mode, new_mode):
            continue
        zero = set(old_sha) == {"0"}
        changes.append(_Change(
            path,
            None if status == "A" or zero else old_sha,
            None if status == "D" else new_sha,
            old_mode,
            new_mode,
        ))
    return changes


_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


def _mark_lines(top: Path, base: str, changes: list[_Change]) -> None:
    """Fill in the changed line numbers of both sides from `git diff --cached -U0`."""
    by_path = {c.path: c for c in changes}
    if not by_path:
        return
    diff = _git(top, "diff", "--cached", "-U0", "--no-renames", "--no-ext-diff", "--no-color", base, "--",
                *sorted(by_path))
    current: _Change | None = None
    for line in diff.split(b"\n"):
        if line.startswith(b"+++ ") or line.startswith(b"--- "):
            name = line[4:].decode("utf-8", "surrogateescape")
            if name != "/dev/null":
                current = by_path.get(name[2:] if name[:2] in ("a/", "b/") else name, current)
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            old_start, old_count = int(match[1]), int(match[2] if match[2] is not None else 1)
            new_start, new_count = int(match[3]), int(match[4] if match[4] is not None else 1)
            # A pure deletion or insertion has no lines on one side; its other side names the function.
            current.old_lines.update(range(old_start, old_start + old_count))
            current.new_lines.update(range(new_start, new_start + new_count))
            current.hunks.append((old_start, old_count, new_start, new_count))


def _blobs(top: Path, shas: Sequence[str]) -> dict[str, bytes]:
    """Blob contents by sha, read from the object database (the index entries' blobs)."""
    try:
        return gitcmd.read_blobs(top, shas)
    except GitError as exc:
        raise SutureExit(str(exc)) from None


def _tree_blobs(top: Path, commit: str | None) -> dict[str, str]:
    """path -> blob sha of every regular file of `commit` ({} without a commit)."""
    if commit is None:
        return {}
    out = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit)
    result = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob":
            result[path.decode("utf-8", "surrogateescape")] = sha
    return result


# ---------------------------------------------------------------- the scratch snapshot


class _Snapshot:
    """A scratch directory holding HEAD's tree, onto which the staged changes are written
    (and taken back off again for the runs at HEAD). Never inside the user's tree."""

    def __init__(self, top: Path, head: str | None) -> None:
        self.parent = Path(tempfile.mkdtemp(prefix="suture-check-")).resolve()
        if self.parent.is_relative_to(top):
            shutil.rmtree(self.parent, ignore_errors=True)
            raise SutureExit(f"the temp directory {self.parent} lies inside the repository; set TMPDIR elsewhere.")
        self.root = self.parent / top.name  # the repo's own name: test ids and tracebacks read naturally
        self.root.mkdir()
        self.top = top
        self.state = "head"
        if head is not None:
            # A private index: the user's index (or the one `git commit` passes to hooks) is never written.
            index = self.parent / "head.index"
            env = {"GIT_INDEX_FILE": str(index)}
            _git(top, "read-tree", head, env=env)
            _git(top, "checkout-index", "--all", "--force", f"--prefix={self.root}/", env=env)

    def apply(self, changes: list[_Change], contents: dict[str, bytes], side: str) -> None:
        """Write the staged ("staged") or HEAD ("head") version of every changed path."""
        if side == self.state:
            return
        for change in changes:
            blob = change.new_blob if side == "staged" else change.old_blob
            mode = change.new_mode if side == "staged" else change.old_mode
            target = self.root / change.path
            if target.is_symlink() or target.exists():
                target.unlink()
            if blob is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            data = contents.get(blob, b"")
            if mode == SYMLINK:
                os.symlink(data.decode("utf-8", "surrogateescape"), target)
                continue
            target.write_bytes(data)
            if mode == "100755":
                target.chmod(0o755)
        self.state = side

    def close(self) -> None:
        shutil.rmtree(self.parent, ignore_errors=True)


# ---------------------------------------------------------------- symbols and contracts


def _symbols(path: str, data: bytes | None) -> list[Symbol]:
    if data is None:
        return []
    return parse_source(path, "python", data)[0]


def _owner(symbols: list[Symbol], line: int) -> Symbol | None:
    """The innermost function or method holding `line`; None for class bodies and module level."""
    symbol = innermost_symbol(symbols, line)
    return None if symbol is None or symbol.kind == CLASS else symbol


def _contracted(source: bytes | ast.Module | None, qualname: str) -> bool:
    """Does the function declare a contract the verifier checks (crosshair_backend's rule)?"""
    if source is None:
        return False
    from suture.tools.verify.crosshair_backend import _has_contracts  # the backend's own reading of "has contracts"
    from suture.tools.verify.verifier import find_function

    try:
        func = find_function(source if isinstance(source, ast.Module) else ast.parse(source), qualname)
    except (SyntaxError, ValueError):
        return False
    return func is not None and _has_contracts(func)


def _code_lines(rows: list[bytes], lines: set[int]) -> set[int]:
    """The lines among `lines` that hold code: a blank line or a comment changes no behaviour."""
    return {n for n in lines if 0 < n <= len(rows) and rows[n - 1].strip() and not rows[n - 1].lstrip().startswith(b"#")}


def _changed_units(change: _Change, reading: "_Reading") -> list[_Unit]:
    old_symbols, new_symbols = reading.symbols()
    old_names = {s.qualname for s in old_symbols}
    new_by_name = {s.qualname: s for s in new_symbols}
    units: dict[str, _Unit] = {}
    for lines, symbols, rows in ((change.new_lines, new_symbols, reading.new_rows), (change.old_lines, old_symbols, reading.old_rows)):
        for line in sorted(_code_lines(rows, lines)):
            owner = _owner(symbols, line)
            name = owner.qualname if owner else MODULE
            if name in units:
                continue
            staged = new_by_name.get(name)
            start = staged.start_line if staged else owner.start_line if owner else line
            units[name] = _Unit(change.path, name, start, exists_staged=name == MODULE or staged is not None,
                                exists_head=name == MODULE or name in old_names)
    for unit in units.values():
        if unit.is_function and unit.exists_staged:
            unit.has_contracts = _contracted(reading.new_tree(), unit.symbol)
    return sorted(units.values(), key=lambda u: (u.line, u.symbol))


# ---------------------------------------------------------------- reading a staged file once

LARGE_FILE = 1_000_000  # bytes: a larger staged file is read by the top-level statements around its changes
# Column-0 lines that continue a compound statement rather than start one.
_CONTINUATIONS = (b"else", b"elif", b"except", b"finally")


@dataclass
class _Window:
    """Whole top-level statements around changed lines: `start` is the first line's number."""

    old_start: int
    old_text: bytes
    new_start: int
    new_text: bytes


class _Reading:
    """One staged .py file as the check reads it: each side compiled and parsed at most once.

    A file larger than LARGE_FILE (a generated module of megabytes) is not compiled or parsed
    whole: outside its hunks both sides are the same bytes, so reading the top-level statements
    around the changes (its windows) decides the same questions at a cost that follows the change,
    not the file. The staged file compiles exactly when the HEAD file does, once each staged
    window compiles on its own and the HEAD windows did (which also shows their edges are real
    statement boundaries). When the windows cannot be trusted (a `from __future__` import or a
    module-level `global` inside, a window edge inside a string), the file is compiled whole in a
    subprocess the cap can stop, and its changes are counted at module level.
    """

    def __init__(self, change: _Change, old: bytes | None, new: bytes | None) -> None:
        self.change, self.old, self.new = change, old, new
        self.old_rows = old.split(b"\n") if old is not None else []
        self.new_rows = new.split(b"\n") if new is not None else []
        self.large = max(len(old or b""), len(new or b"")) > LARGE_FILE
        self.windows = _windows(change, self.old_rows, self.new_rows) if self.large and old and new else None
        self._symbols: tuple[list[Symbol], list[Symbol]] | None = None
        self._trees: dict[str, ast.Module | None] = {}

    def syntax_problem(self, clock: _Clock) -> tuple[tuple[int, str] | None, bool]:
        """(the staged file's syntax error, whether it is blamed on the commit: the HEAD file
        compiled or there was none), within the cap."""
        path = self.change.path
        if self.windows is not None:
            for window in self.windows:
                problem = _syntax_error(window.new_text, path)
                if problem is not None:
                    return (problem[0] + window.new_start - 1, problem[1]), True  # the HEAD windows compiled
            return None, True
        check = _syntax_error if not self.large else lambda data, name: _syntax_error_bounded(data, name, clock)
        problem = check(self.new or b"", path)
        if problem is None:
            return None, True
        return problem, self.old is None or check(self.old, path) is None  # a new file has no excuse

    def symbols(self) -> tuple[list[Symbol], list[Symbol]]:
        """The functions and classes of both sides (of the windows of a large file; none when a
        large file's windows cannot be trusted: its changes then count at module level)."""
        if self._symbols is None:
            path = self.change.path
            if not self.large:
                self._symbols = (_symbols(path, self.old), _symbols(path, self.new))
            elif self.windows is None:
                self._symbols = ([], [])
            else:
                self._symbols = (
                    [s for w in self.windows for s in _shifted(_symbols(path, w.old_text), w.old_start)],
                    [s for w in self.windows for s in _shifted(_symbols(path, w.new_text), w.new_start)],
                )
        return self._symbols

    def new_tree(self) -> ast.Module | None:
        """The staged side's AST, parsed once, holding every changed function: of the file, or of a
        large file's windows (None: it does not parse)."""
        return self._tree("new")

    def old_tree(self) -> ast.Module | None:
        """The same of the HEAD side."""
        return self._tree("old")

    def _tree(self, side: str) -> ast.Module | None:
        if side not in self._trees:
            whole = self.new if side == "new" else self.old
            source = whole if self.windows is None else b"\n".join(
                w.new_text if side == "new" else w.old_text for w in self.windows)
            try:
                self._trees[side] = ast.parse(source) if source is not None and (not self.large or self.windows) else None
            except (SyntaxError, ValueError):
                self._trees[side] = None
        return self._trees[side]


def _shifted(symbols: list[Symbol], start: int) -> list[Symbol]:
    from dataclasses import replace

    return [replace(s, start_line=s.start_line + start - 1, end_line=s.end_line + start - 1) for s in symbols]


def _starts_statement(lines: list[bytes], i: int) -> bool:
    """Does line i (0-based) look like the start of a top-level statement? Checked afterwards by
    compiling: a window whose HEAD text does not compile on its own is not used."""
    text = lines[i]
    if not text or text[:1] in b" \t#)]}'\"\r" or text.startswith(_CONTINUATIONS):
        return False
    if i > 0 and (lines[i - 1].startswith(b"@") or lines[i - 1].rstrip().endswith(b"\\")):
        return False  # a decorated definition starts at its first decorator; a continued line goes on
    return True


def _windows(change: _Change, old_lines: list[bytes], new_lines: list[bytes]) -> list[_Window] | None:
    """The changed top-level statements of both sides of a large file (given as lines), or None when
    they cannot be trusted. Only for a file on both sides: a new one has no unchanged rest to lean on."""
    if not change.hunks:
        return None
    spans: list[list[int]] = []  # [start, end) in HEAD's lines, 1-based
    for old_start, old_count, _, _ in sorted(change.hunks):
        first = old_start if old_count else old_start + 1  # an insertion goes after line old_start
        last = old_start + old_count - 1 if old_count else old_start
        start = first
        while start > 1 and not _starts_statement(old_lines, start - 1):
            start -= 1
        end = last + 1
        while end <= len(old_lines) and not _starts_statement(old_lines, end - 1):
            end += 1
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])

    def shift(line: int) -> int:
        """A HEAD line number outside the hunks, in the staged file."""
        return line + sum(nc - oc for os_, oc, _, nc in change.hunks if (os_ + oc if oc else os_ + 1) <= line)

    windows = []
    for start, end in spans:
        old_text = b"\n".join(old_lines[start - 1 : end - 1])
        new_start, new_end = shift(start), shift(end)
        new_text = b"\n".join(new_lines[new_start - 1 : new_end - 1])
        if b"__future__" in old_text + new_text or re.search(rb"^global ", old_text + b"\n" + new_text, re.M):
            return None  # statements whose meaning depends on the rest of the module
        if _syntax_error(old_text, change.path) is not None:
            return None  # an edge fell inside a string or a bracket
        windows.append(_Window(start, old_text, new_start, new_text))
    return windows


def _syntax_error_bounded(data: bytes, path: str, clock: _Clock) -> tuple[int, str] | None:
    """_syntax_error in a subprocess the cap can stop (compile() of a huge file cannot be interrupted)."""
    import subprocess
    import sys

    left = clock.need(1.0, f"compiling {path} (a file too large to read around its changes)")
    script = ("import sys\ntry:\n compile(sys.stdin.buffer.read(), sys.argv[1], 'exec', dont_inherit=True)\n"
              "except SyntaxError as e:\n print(e.lineno or 1); print(e.msg)\n"
              "except (ValueError, RecursionError, MemoryError) as e:\n print(1); print(str(e) or type(e).__name__)\n")
    try:
        done = subprocess.run([sys.executable, "-W", "ignore", "-c", script, path], input=data, capture_output=True,
                              timeout=max(0.5, left - STOP_RESERVE / 2))
    except subprocess.TimeoutExpired:
        raise _OutOfTime(f"compiling {path} (too large to read around its changes within the cap)") from None
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return (int(lines[0]), lines[1] if len(lines) > 1 else "invalid syntax") if lines and lines[0].isdigit() else None


# ---------------------------------------------------------------- the coverage map


def _test_side(head_blobs: dict[str, str], test_cmd: Sequence[str]) -> tuple[str, dict[str, str]]:
    """(digest of the test set-up, {test module: blob}) at HEAD.

    The set-up is everything that can change how *any* test runs: the test command, pytest
    configuration, conftest.py and helper files of the test tree. A change there rebuilds the
    whole map; a change to a test module re-runs only that module's tests.
    """
    digest = hashlib.sha256(f"v{MAP_VERSION}\0{json.dumps(list(test_cmd))}\0".encode())
    modules = {}
    for path in sorted(head_blobs):
        if is_test_module(path):  # other test-side files (conftest, helpers) change how every test runs
            modules[path] = head_blobs[path]
        elif path.endswith(".py") and is_test_path(path) or PurePosixPath(path).name in _TEST_CONFIG:
            digest.update(f"{path}\0{head_blobs[path]}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), modules


@dataclass
class _CoverageMap:
    """Which tests ran the body of which function: (path, qualname) -> node ids; (path) -> node ids for
    any line of the file. Kept on disk with test indexes instead of ids (a tenth of the size)."""

    outcomes: dict[str, str]  # node id -> outcome at HEAD when it last ran
    functions: dict[str, dict[str, set[str]]]
    anywhere: dict[str, set[str]]
    setup_key: str
    modules: dict[str, str]  # test module -> its blob when all its tests last ran
    seconds: float = 0.0
    # A test module the cap cut off mid-way -> its blob: the tests it finished are mapped, the next
    # check runs the rest of it (its node ids not in `outcomes`).
    partial: dict[str, str] = field(default_factory=dict)
    # A test the cap killed while it ran -> [times it was killed, seconds its last run had]. Not mapped.
    # Killed once, it may just have started late: the run that goes on with its module runs it again.
    # Killed twice, it is slow: those runs skip it, and once nothing else is left it is tried again
    # alone when more than twice that time is left (a larger cap).
    cut: dict[str, list[float]] = field(default_factory=dict)

    @property
    def tests(self) -> list[str]:
        return sorted(self.outcomes)

    def covering(self, path: str, symbol: str) -> set[str]:
        if symbol == MODULE:
            return set(self.anywhere.get(path, ()))
        found: set[str] = set()
        for name, ids in self.functions.get(path, {}).items():
            if name == symbol or name.startswith(symbol + "."):
                found |= ids
        return found

    def drop(self, modules: set[str]) -> None:
        """Forget these test modules: their tests, whether they were mapped, their cut tests."""
        self.forget({n for n in set(self.outcomes) | set(self.cut) if _module_of(n) in modules})
        for path in modules:
            self.modules.pop(path, None)
            self.partial.pop(path, None)

    def forget(self, gone: set[str]) -> None:
        """Forget these tests (node ids)."""
        for nodeid in gone:
            self.outcomes.pop(nodeid, None)
            self.cut.pop(nodeid, None)
        for by_name in self.functions.values():
            for ids in by_name.values():
                ids -= gone
        for ids in self.anywhere.values():
            ids -= gone

    def merge(self, other: "_CoverageMap") -> None:
        for nodeid in other.outcomes:
            self.cut.pop(nodeid, None)  # a cut test that has now run to its end
        self.outcomes.update(other.outcomes)
        for path, by_name in other.functions.items():
            for name, ids in by_name.items():
                self.functions.setdefault(path, {}).setdefault(name, set()).update(ids)
        for path, ids in other.anywhere.items():
            self.anywhere.setdefault(path, set()).update(ids)

    def to_json(self) -> dict[str, Any]:
        tests = self.tests
        number = {n: i for i, n in enumerate(tests)}

        def ids(found: set[str]) -> list[int]:
            return sorted(number[n] for n in found if n in number)

        files = {path: {"any": ids(self.anywhere.get(path, set())),
                        "functions": {name: ids(found) for name, found in sorted(self.functions.get(path, {}).items())}}
                 for path in sorted(set(self.functions) | set(self.anywhere))}
        return {"version": MAP_VERSION, "setup_key": self.setup_key, "modules": self.modules,
                "partial": self.partial, "cut": self.cut,
                "seconds": round(self.seconds, 3), "tests": tests, "outcomes": [self.outcomes[n] for n in tests],
                "files": files}

    @classmethod
    def load(cls, path: Path) -> "_CoverageMap | None":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != MAP_VERSION:
                return None
            tests = list(data["tests"])
            functions = {p: {name: {tests[i] for i in found} for name, found in entry["functions"].items()}
                         for p, entry in data["files"].items()}
            anywhere = {p: {tests[i] for i in entry["any"]} for p, entry in data["files"].items()}
            return cls(dict(zip(tests, data["outcomes"])), functions, anywhere, str(data["setup_key"]),
                       dict(data["modules"]), float(data["seconds"]), dict(data.get("partial", {})),
                       {str(n): [int(times), float(had)] for n, (times, had) in data.get("cut", {}).items()})
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None  # missing, from another version, or damaged: rebuilt

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)


def _build_map(tree: Path, run: TestRun, coverage_file: Path, setup_key: str, modules: dict[str, str]) -> _CoverageMap:
    """Per-test line coverage lifted to functions: (file, qualname) -> the tests that ran its body."""
    spectra = Spectra.from_coverage(coverage_file, tree, {n: o.outcome for n, o in run.outcomes.items()})
    functions: dict[str, dict[str, set[str]]] = {}
    anywhere: dict[str, set[str]] = {}
    symbols_of: dict[str, list[Symbol]] = {}
    for (path, line), covering in spectra.lines.items():
        if (path, line) in spectra.import_lines:
            continue  # module and class bodies, def lines: every importer ran them
        covering = {n for n in covering if n in run.outcomes}
        anywhere.setdefault(path, set()).update(covering)
        if path not in symbols_of:
            try:
                symbols_of[path] = _symbols(path, (tree / path).read_bytes()) if path.endswith(".py") else []
            except OSError:
                symbols_of[path] = []
        owner = _owner(symbols_of[path], line)
        if owner is not None:
            functions.setdefault(path, {}).setdefault(owner.qualname, set()).update(covering)
    outcomes = {n: o.outcome for n, o in run.outcomes.items()}
    return _CoverageMap(outcomes, functions, anywhere, setup_key, modules, run.seconds)


# ---------------------------------------------------------------- the check


def _test_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _GIT_VARIABLES}


def _test_command(top: Path, snapshot: Path, interpreter: str | None, report: dict[str, Any],
                  pass_env: Sequence[str] = ()) -> list[str] | str | None:
    """The configured test command, else the detected pytest under the project's Python (tools/testing/pyenv.py)."""
    from suture.agent.config import load_settings
    from suture.agent.environment import project_environment
    from suture.tools import childenv

    settings = load_settings(top, {"python": interpreter, "pass_env": ",".join(pass_env) or None})
    childenv.set_passed(childenv.parse_names(settings.pass_env))  # --pass-env: tools/childenv.py
    if settings.test_cmd:
        return settings.test_cmd
    try:
        detect_test_command(snapshot)
    except TestRunError:
        return None
    env, command = project_environment(top, settings, None, say=False)
    report["environment"] = env.to_dict()
    return command or detect_test_command(snapshot)


def _module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _test_qualname(nodeid: str) -> tuple[str, str]:
    """(file, dotted test name without parameters) of a pytest node id."""
    path, _, rest = nodeid.partition("::")
    return path, ".".join(part.split("[", 1)[0] for part in rest.split("::")) if rest else ""


def _failure_location(nodeid: str, outcome: Any) -> str:
    """path:line of the failing line inside the test itself (its assertion), else of the innermost test frame."""
    test_file = nodeid.split("::", 1)[0]
    frames = list(getattr(outcome, "frames", []) or [])
    for wanted in (lambda f: f.path == test_file, lambda f: is_test_path(f.path) and not f.path.startswith("/")):
        matching = [f for f in frames if wanted(f)]
        if matching:
            return f"{matching[-1].path}:{matching[-1].line}"
    return ""


def _first_line(message: str) -> str:
    lines = [line for line in (message or "").splitlines() if line.strip()]
    return lines[0].strip()[:300] if lines else "failed"


def run_check(
    repo: Path,
    *,
    time_cap: float = DEFAULT_TIME_CAP,
    bound: int = DEFAULT_BOUND,
    paths: Sequence[str] = (),
    verify_seconds: float = VERIFY_SECONDS,
    interpreter: str | None = None,
    pass_env: Sequence[str] = (),
) -> CheckOutcome:
    """Check the staged changes of the git work tree holding `repo`; see the module docstring.

    `paths` (relative to the current directory, or absolute) restricts the check to those
    staged files. `interpreter`: the --python that runs the tests (default: detected, tools/testing/pyenv.py).
    Raises SutureExit(BAD_INPUT) for input it cannot work on (not a git work
    tree, a bad cap); never writes to the user's working tree or index.
    """
    if not 0 < time_cap < float("inf"):  # nan and inf too: the cap is a real limit
        raise SutureExit("--time-cap must be a positive number of seconds.")
    clock = _Clock(time_cap)
    top = git_toplevel(Path(repo))
    if top is None:
        raise SutureExit(f"{repo} is not inside a git work tree.")
    head = _head(top)
    changes = _staged(top, head or EMPTY_TREE)
    if paths:
        wanted = {_repo_relative(top, p) for p in paths}
        changes = [c for c in changes if c.path in wanted]
    python = [c for c in changes if c.path.endswith(".py")]
    report: dict[str, Any] = {"status": "clean", "findings": [], "warnings": [], "notes": [], "changed": [],
                              "tests": {}, "verifier": [], "incomplete": False, "time_cap": time_cap}
    findings: list[Finding] = []
    if not python:
        report["status"] = "nothing_to_check"
        report["notes"].append("no staged Python changes." if changes or paths else "nothing is staged.")
        return _finish(report, findings, clock)

    contents = _blobs(top, [b for c in changes for b in (c.old_blob, c.new_blob) if b])
    _mark_lines(top, head or EMPTY_TREE, python)

    readings = {c.path: _Reading(c, contents.get(c.old_blob) if c.old_blob else None,
                                 contents.get(c.new_blob) if c.new_blob else None) for c in python}
    units: list[_Unit] | None = None
    snapshot = None
    try:
        # 1. The parse gate: cheap, and nothing else is worth running on a file that does not compile.
        findings += _parse_gate(python, readings, clock, report)
        if findings:
            report["notes"].append("the tests and the verifier were skipped: a staged file does not compile.")
            return _finish(report, findings, clock)
        units = _all_changed_units(python, readings, clock, report)
        report["changed"] = [{"path": u.path, "symbol": u.symbol, "line": u.line} for u in units]
        snapshot = _Snapshot(top, head)
        _check_tests(top, head, snapshot, python, contents, units, clock, report, findings, interpreter, pass_env)
        report["tests"]["done"] = True  # the covering tests ran (or there were none to run)
        _check_contracts(snapshot, python, contents, readings, units, clock, bound, verify_seconds, report, findings)
    except TestRunError as exc:
        # The tests cannot run at all (pytest or a plugin missing for the configured test_cmd): a setup
        # problem the user has to fix, not a finding and not a reason to pass silently.
        raise SutureExit(f"the covering tests could not be run: {exc}") from None
    except _OutOfTime as stop:
        report["incomplete"] = True
        report["stopped_before"] = stop.what
        report["unchecked"] = ([f"{u.path}::{u.symbol}" for u in _unchecked(units, report)] if units is not None
                               else [c.path for c in python])  # stopped before its functions were known
        report["warnings"].append(
            f"the check stopped at its time cap of {time_cap:g} s before {stop.what}; "
            f"{_went_unchecked(report['unchecked'])} (raise the cap with --time-cap).")
    finally:
        if snapshot is not None:
            snapshot.close()
    cut = report["tests"].get("cut_tests")
    if cut:
        report["warnings"].append(
            f"{_count(len(cut), 'test')} cut off by the time cap {'is' if len(cut) == 1 else 'are'} not in the "
            f"coverage map yet ({_some(cut)}): a change only {'it reaches' if len(cut) == 1 else 'they reach'} goes "
            "unnoticed; a later check with time to spare tries again (`suture check --time-cap 600` maps them at once).")
    return _finish(report, findings, clock)


def _parse_gate(python: list[Any], readings: dict[str, Any], clock: Any, report: dict[str, Any]) -> list[Finding]:
    """A finding per staged Python file that does not compile (and did at HEAD)."""
    findings = []
    for change in python:
        if change.new_blob is None or change.new_mode == SYMLINK:
            continue
        problem, blamed = readings[change.path].syntax_problem(clock)
        if problem is None:
            continue
        if not blamed:
            report["notes"].append(f"{change.path} did not compile at HEAD either; its syntax is not blamed on this commit.")
            continue
        findings.append(Finding("parse", change.path, problem[0], "", problem[1]))
    return findings


def _all_changed_units(python: list[Any], readings: dict[str, Any], clock: Any, report: dict[str, Any]) -> list[_Unit]:
    """The functions (else module level) the staged changes touch, file by file under the cap."""
    found: list[_Unit] = []
    for change in python:
        reading = readings[change.path]
        clock.need(0.5, f"reading the changed functions of {change.path}")
        found += _changed_units(change, reading)
        if reading.large:
            report["notes"].append(
                f"{change.path} is large ({len(reading.new or reading.old or b'') / 1e6:.1f} MB): "
                + ("read by the top-level statements around its changes." if reading.windows is not None else
                   "its changes could not be placed in their functions quickly and count as module level."))
    return found


def _unchecked(units: list[_Unit], report: dict[str, Any]) -> list[_Unit]:
    """The changed functions a check stopped by the cap left unchecked: all of them before their
    covering tests ran, else those with contracts the verifier had not got to."""
    if not report["tests"].get("done"):
        return list(units)
    verified = {(v["path"], v["symbol"]) for v in report["verifier"]}
    return [u for u in units if u.has_contracts and (u.path, u.symbol) not in verified and not is_test_path(u.path)]


def _went_unchecked(unchecked: list[str]) -> str:
    if not unchecked:
        return "every changed function had been checked"
    return f"{'this changed function' if len(unchecked) == 1 else 'these changed functions'} went unchecked: {_some(unchecked, 5)}"


def summary(outcome: CheckOutcome) -> str:
    """The text the CLI prints: the findings, then whatever went unchecked; the same as the JSON report says."""
    report = outcome.report
    if outcome.findings:
        count = len(outcome.findings)
        lines = [f"suture check: {count} finding{'s' if count > 1 else ''} in the staged changes:"]
        lines += [finding.render() for finding in outcome.findings]
        if report["incomplete"]:
            lines.append(f"The check is incomplete: it stopped before {report['stopped_before']}; "
                         f"{_went_unchecked(report['unchecked'])}.")
        return "\n".join(lines)
    tests = report["tests"]
    ran = tests.get("passed", 0)
    held = sum(1 for v in report["verifier"] if v["verdict"] in ("no_counterexample_within_bound", "exhausted"))
    said = ["nothing to check" if report["status"] == "nothing_to_check" else "no findings"]
    if ran:
        said.append(f"{ran} covering test{'s' if ran != 1 else ''} passed")
    if held:
        said.append(f"{held} changed contract{'s' if held != 1 else ''} held within the bound")
    text = f"suture check: {', '.join(said)}"
    if report["incomplete"]:
        text += (f", but the check is incomplete: it stopped at its time cap before {report['stopped_before']}; "
                 f"{_went_unchecked(report['unchecked'])}")
    cut = tests.get("cut_tests")
    if cut:
        text += f" ({_count(len(cut), 'test')} cut off by the time cap not mapped yet: {_some(cut)})"
    return text + f" ({report['seconds']:.1f} s)."


def _repo_relative(top: Path, given: str) -> str:
    path = Path(given)
    absolute = (path if path.is_absolute() else Path.cwd() / path).resolve()
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        return path.as_posix()


def _syntax_error(data: bytes, path: str) -> tuple[int, str] | None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, path, "exec", dont_inherit=True)
        except SyntaxError as error:
            return error.lineno or 1, error.msg
        except (ValueError, RecursionError, MemoryError) as error:
            return 1, str(error) or type(error).__name__
    return None


def _finish(report: dict[str, Any], findings: list[Finding], clock: _Clock) -> CheckOutcome:
    report["findings"] = [f.to_dict() for f in findings]
    if findings:
        report["status"] = "findings"
    elif report["incomplete"]:
        report["status"] = "incomplete"
    report["seconds"] = round(clock.elapsed(), 3)
    code = ExitCode.NOTHING_FOUND if findings else ExitCode.DONE
    return CheckOutcome(findings, code, report)


def _check_tests(top: Path, head: str | None, snapshot: _Snapshot, changes: list[_Change],
                 contents: dict[str, bytes], units: list[_Unit], clock: _Clock,
                 report: dict[str, Any], findings: list[Finding], interpreter: str | None = None,
                 pass_env: Sequence[str] = ()) -> None:
    tests_report: dict[str, Any] = report["tests"]
    if head is None:
        report["notes"].append("no commit yet: there is no HEAD to compare the tests with.")
        return
    command = _test_command(top, snapshot.root, interpreter, report, pass_env)
    if command is None or not is_pytest_command(command):
        report["notes"].append("no pytest suite found (or test_cmd is not pytest): the covering tests were not run.")
        return
    snapshot.apply(changes, contents, "head")
    coverage_map = _coverage_map(top, head, snapshot, command, clock, tests_report)

    # Which tests to run, and which changed function each one answers for.
    blame: dict[str, _Unit] = {}
    known = set(coverage_map.tests)
    for unit in units:
        if is_test_path(unit.path):
            for nodeid in _tests_of_test_change(unit, coverage_map, contents, changes):
                blame.setdefault(nodeid, unit)
            continue
        for nodeid in sorted(coverage_map.covering(unit.path, unit.symbol)):
            blame.setdefault(nodeid, unit)
    selected = [n for n in blame if _runs_staged(n, changes, contents)]
    tests_report.update(selected=len(selected), selected_ids=selected)
    if not selected:
        report["notes"].append("no test covers the changed functions.")
        return

    snapshot.apply(changes, contents, "staged")
    left = clock.budget("running the covering tests")
    staged = run_tests(snapshot.root, test_cmd=command, nodeids=selected, timeout=left, reruns=1, env=_test_env())
    tests_report.update(ran=len(staged.outcomes), passed=len(staged.passed), staged_seconds=round(staged.seconds, 3))
    if staged.status == "timeout":
        raise _OutOfTime("the covering tests finished")
    failing: dict[str, Any] = {}
    for nodeid in selected:
        outcome = staged.outcomes.get(nodeid)
        if outcome is None:
            error = next((e for e in staged.collection_errors if nodeid.split("::", 1)[0] in e), None)
            if error:
                failing[nodeid] = _Failed(error, "")
            continue
        if outcome.outcome in ("failed", "error", "timeout"):
            if "passed" in outcome.reruns:
                report["notes"].append(f"{nodeid} failed once and passed its rerun: flaky, not blamed.")
                continue
            failing[nodeid] = _Failed(outcome.message, _failure_location(nodeid, outcome))
    tests_report["failed_staged"] = sorted(failing)
    if not failing:
        return

    # The same tests at HEAD: only a test that passes there was broken by the staged changes.
    existing = [n for n in failing if n in known]
    for nodeid in failing:
        if nodeid not in known:
            report["notes"].append(f"{nodeid} is new in the staged changes and fails (not a regression).")
    if not existing:
        return
    snapshot.apply(changes, contents, "head")
    left = clock.budget("confirming at HEAD that the failing tests passed there")
    at_head = run_tests(snapshot.root, test_cmd=command, nodeids=existing, timeout=left, env=_test_env())
    if at_head.status == "timeout":
        raise _OutOfTime(f"confirming at HEAD that {', '.join(existing[:3])} passed there")
    for nodeid in existing:
        outcome = at_head.outcomes.get(nodeid)
        if outcome is None or outcome.outcome != "passed":
            report["notes"].append(f"{nodeid} fails at HEAD too: not blamed on this commit.")
            continue
        unit, failure = blame[nodeid], failing[nodeid]
        findings.append(Finding("test", unit.path, unit.line, unit.symbol if unit.is_function else MODULE,
                                _first_line(failure.message), test=nodeid, test_location=failure.location))


def _runs_staged(nodeid: str, changes: list[_Change], contents: dict[str, bytes]) -> bool:
    """Does the test still exist in the staged snapshot? (pytest refuses a whole run over one unknown id.)
    Only staged test files can have lost a test: every other test file is as it was when the map was built."""
    path, name = _test_qualname(nodeid)
    change = next((c for c in changes if c.path == path), None)
    if change is None:
        return True
    if change.new_blob is None:
        return False  # its file is deleted: the test is gone, not broken
    return name in {s.qualname for s in _symbols(path, contents.get(change.new_blob))}


@dataclass
class _Failed:
    message: str
    location: str


def _tests_of_test_change(unit: _Unit, coverage_map: _CoverageMap, contents: dict[str, bytes],
                          changes: list[_Change]) -> list[str]:
    """Tests to run for a change inside a test file: the changed test itself; for a change to a
    fixture, helper or module level code, every test of that file (of the directory for conftest.py)."""
    path = unit.path
    name = unit.symbol
    if PurePosixPath(path).name == "conftest.py":
        folder = str(PurePosixPath(path).parent)
        prefix = "" if folder == "." else folder + "/"
        return [n for n in coverage_map.tests if n.startswith(prefix)]
    in_file = [n for n in coverage_map.tests if n.split("::", 1)[0] == path]
    leaf = name.rsplit(".", 1)[-1]
    if unit.is_function and leaf.startswith("test"):
        if not unit.exists_staged:
            return []  # a deleted test: nothing to run
        same = [n for n in in_file if _test_qualname(n)[1] == name]
        return same or [f"{path}::{name.replace('.', '::')}"]  # a test new in the staged changes: its own id
    if unit.is_function and name.split(".", 1)[0].startswith("Test") and "." in name:
        cls = name.split(".", 1)[0]
        return [n for n in in_file if _test_qualname(n)[1].startswith(cls + ".")]
    return in_file


def _coverage_map(top: Path, head: str, snapshot: _Snapshot, command: Any, clock: _Clock,
                  tests_report: dict[str, Any]) -> _CoverageMap:
    """The cached map, brought up to date with HEAD's tests: reused as it is when no test module
    changed, updated by running only the tests not mapped yet (of changed, new or half-mapped test
    modules), rebuilt (the whole suite) when the test set-up changed or there is no map yet.

    The map is saved per test: a run the cap cuts off keeps every test it finished, and the next
    check goes on with the rest (the half-mapped module's remaining tests first), so a suite slower
    than the cap gets mapped over a few checks instead of never."""
    from suture.agent.runs import check_suture_dir, exclude_suture

    argv = shlex.split(command) if isinstance(command, str) else list(command)
    setup_key, modules = _test_side(_tree_blobs(top, head), argv)
    check_suture_dir(top, "check")  # never a cache read from, or written through, a planted .suture
    cache = top / MAP_FILE
    cached = _CoverageMap.load(cache)
    if cached is not None and cached.setup_key == setup_key:
        base, whole, state = cached, False, "updated"
        changed = {path for path, blob in {**base.partial, **base.modules}.items() if modules.get(path) != blob}
        base.drop(changed)
    else:
        base, whole, changed = _CoverageMap({}, {}, {}, setup_key, {}), True, set()
        state = "refreshed" if cached is None else "rebuilt"
    todo = [path for path in sorted(modules) if path not in base.modules]
    # Tests the cap killed before are tried again once nothing else is left, given more time than they had.
    retry = [] if todo else sorted(n for n, (_, had) in base.cut.items() if clock.left() > 2 * had + MAP_STOP_RESERVE)
    if todo or retry:
        slow = {n for n, (times, _) in base.cut.items() if times >= 2}
        skip = set() if whole or not todo else {n for n in base.outcomes if _module_of(n) in todo} | slow
        files = [] if whole else todo or retry
        doing = ("building the coverage map of the tests at HEAD" if whole else
                 f"mapping the tests not mapped yet ({', '.join((todo or retry)[:3])}{', ...' if len(todo or retry) > 3 else ''})")
        built, killed, items, run = _coverage_run(snapshot, command, clock, files, skip, doing)
        timed_out = run.status == "timeout"
        base.merge(built)
        for nodeid in killed:
            base.cut[nodeid] = [base.cut.get(nodeid, [0, 0.0])[0] + 1, round(run.seconds, 3)]
        # A module is finished when every test the run was to run of it finished (its other tests
        # were mapped or skipped as slow before); unfinished ones that got somewhere are half-mapped.
        if items is not None:
            left_over = {_module_of(n) for n in items if n not in built.outcomes}
            for path in todo:
                if path not in left_over:
                    base.modules[path] = modules[path]
                    base.partial.pop(path, None)
                elif any(_module_of(n) == path for n in built.outcomes):
                    base.partial[path] = modules[path]
        base.seconds = run.seconds
        tests_report["map_seconds"] = round(run.seconds, 3)
    elif not changed:
        tests_report["coverage_map"] = "reused"
        _report_gaps(base, modules, tests_report)
        return base
    else:
        timed_out = False
    exclude_suture(top)
    try:
        base.save(cache)
    except OSError:
        pass  # a read-only checkout: the check still works, it just cannot reuse the map
    tests_report["coverage_map"] = state
    _report_gaps(base, modules, tests_report)
    if timed_out:
        unmapped = tests_report["unmapped_modules"]
        if unmapped:
            raise _OutOfTime(
                f"the coverage map of the tests at HEAD was complete ({_count(len(unmapped), 'test module')} of "
                f"{len(modules)} not mapped yet: {_some(unmapped)}; each check maps more of them, "
                "`suture check --time-cap 600` maps them at once)")
        raise _OutOfTime(f"re-running the tests the cap had cut off ({_some(retry)})" if retry else "running the covering tests")
    return base


def _report_gaps(coverage_map: _CoverageMap, modules: dict[str, str], tests_report: dict[str, Any]) -> None:
    tests_report["unmapped_modules"] = [path for path in sorted(modules) if path not in coverage_map.modules]
    tests_report["cut_tests"] = sorted(coverage_map.cut)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _some(names: Sequence[str], shown: int = 3) -> str:
    names = list(names)
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _coverage_run(snapshot: _Snapshot, command: Any, clock: _Clock, files: list[str], skip: set[str],
                  what: str) -> tuple[_CoverageMap, list[str], list[str] | None, TestRun]:
    """One pytest run at HEAD with per-test coverage, of `files` (test modules or node ids) or the
    whole suite, leaving out the tests in `skip`: the map of the tests it finished, the tests the
    cap killed while they ran, the tests it was to run (None: it was stopped before it knew), the run."""
    budget = clock.budget(what, MAP_STOP_RESERVE)
    work = Path(tempfile.mkdtemp(prefix="coverage-", dir=snapshot.parent))
    coverage_file = work / "coverage.db"
    items_file = work / "items.txt"
    env = {ENV_FILE: str(coverage_file), ENV_ROOT: str(snapshot.root), ENV_ITEMS: str(items_file)}
    if skip:
        (work / "skip.txt").write_text("\n".join(sorted(skip)) + "\n", encoding="utf-8")
        env[SKIP_ENV] = str(work / "skip.txt")
    run = run_tests(snapshot.root, test_cmd=command, nodeids=files, timeout=budget,
                    pytest_plugins=[COVERAGE_PLUGIN], extra_env=env, env=_test_env())
    killed = [n for n, o in run.outcomes.items() if o.outcome == "timeout"] if run.status == "timeout" else []
    built = _build_map(snapshot.root, run, coverage_file, "", {})
    built.forget(set(killed))
    listed = sorted(work.glob(items_file.name + "*"))  # one file, or one per xdist worker
    items = None if not listed else [n for f in listed if not f.name.endswith(".tmp")
                                     for n in f.read_text(encoding="utf-8").splitlines()]
    if items is None and run.status != "timeout":
        items = list(built.outcomes)  # a run that ended without collecting (nothing left to run)
    return built, killed, items, run


def _check_contracts(snapshot: _Snapshot, changes: list[_Change], contents: dict[str, bytes],
                     readings: dict[str, _Reading], units: list[_Unit],
                     clock: _Clock, bound: int, verify_seconds: float, report: dict[str, Any],
                     findings: list[Finding]) -> None:
    targets = [u for u in units if u.is_function and u.has_contracts and u.exists_staged and not is_test_path(u.path)]
    if not targets:
        return
    if len(targets) > MAX_VERIFIED:
        report["notes"].append(f"{len(targets)} changed functions have contracts; the first {MAX_VERIFIED} were verified.")
        targets = targets[:MAX_VERIFIED]
    snapshot.apply(changes, contents, "staged")
    found = []
    for unit in targets:
        left = clock.need(1.0, f"verifying {unit.path}::{unit.symbol}")
        verdict = verify(_target(snapshot.root, unit.path, unit.symbol), "contracts", bound=bound,
                         time_limit=min(verify_seconds, left - 0.5), backends=("crosshair",))
        report["verifier"].append({"path": unit.path, "symbol": unit.symbol, "verdict": verdict.verdict,
                                   "seconds": round(verdict.seconds, 3), "message": verdict.message[:300]})
        if verdict.verdict == "counterexample" and verdict.counterexample is not None:
            found.append((unit, verdict))
    if not found:
        return
    # A violation the HEAD version has as well is not this commit's doing.
    snapshot.apply(changes, contents, "head")
    for unit, verdict in found:
        if unit.exists_head and _contracted(readings[unit.path].old_tree(), unit.symbol):
            left = clock.need(1.0, f"confirming that {unit.symbol} met its contract at HEAD")
            before = verify(_target(snapshot.root, unit.path, unit.symbol), "contracts", bound=bound,
                            time_limit=min(verify_seconds, left - 0.5), backends=("crosshair",))
            if before.verdict == "counterexample":
                report["notes"].append(f"{unit.path}::{unit.symbol} violates its contract at HEAD too: not blamed.")
                continue
        cx = verdict.counterexample
        line = _location_line(cx.location, snapshot.root, unit.path) or unit.line
        findings.append(Finding("contract", unit.path, line, unit.symbol, cx.message, inputs=dict(cx.inputs)))


def _target(root: Path, path: str, symbol: str) -> Target:
    """The verifier's target for a repo-relative file of the snapshot (imports resolve from its package root)."""
    file = root / path
    base = import_root(file)
    return Target(base, file.relative_to(base).as_posix(), symbol)


def _location_line(location: str, root: Path, path: str) -> int | None:
    """The line of a counterexample's location ("file:line", relative to the verifier's import root)
    when it lies in the verified file itself."""
    where, _, line = (location or "").rpartition(":")
    if not line.isdigit() or not where:
        return None
    file = root / path
    located = Path(where) if Path(where).is_absolute() else import_root(file) / where
    return int(line) if located.resolve() == file.resolve() else None
