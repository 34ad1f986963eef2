"""Edits to files: SEARCH/REPLACE blocks, created and deleted files, applied all-or-nothing.

Every patch suture proposes, from the rule engine or from a model, is expressed as
these edits. `apply_edits` works out the whole list in memory first (matching,
path checks, the parse gate) and writes only when every edit is accepted, so a
rejected list leaves every file byte-identical; a write that fails half-way (a
full disk, a read-only file, Ctrl-C) is rolled back from the snapshots taken
just before.

Matching is exact first, then tolerant of leading indentation only (the whole
SEARCH block shifted by one common indent; the REPLACE is shifted by the same
amount), never fuzzier: a wrong guess costs a test run, a refusal with the most
similar lines costs the model one more try. A SEARCH with a newline matches whole
lines; one without (a fragment, from code) matches anywhere in a line.

Files keep their bytes outside the edited span: the line ending (a CRLF file is
matched on LF text and written back as CRLF), a UTF-8 BOM, and the file mode
(files are rewritten in place). A Python file is read and written in the encoding
its PEP 263 coding line declares (`# -*- coding: latin-1 -*-`), so its non-ASCII
text matches and stays in that encoding. Bytes that are not valid in the file's
encoding are carried through with surrogateescape, so such a file can still be
edited where it is valid.
Mixed-ending files are matched as they are (a line's stray "\\r" is part of it).

`diff_worktree`, `apply_patch` and `PatchError` live in `suture.tools.git.diffs` and
are re-exported here: edits and patches are the two forms of one change.

Over 600 lines as one concept: applying edits all-or-nothing needs the block grammar, the
path policy, the in-memory files, the matching and the parse gate together; each is a
section below.
"""

from __future__ import annotations

import ast
import codecs
import difflib
import fnmatch
import hashlib
import os
import posixpath
import re
import stat
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

from suture.retrieval.files import source_encoding
from suture.retrieval.languages import get_parser, language_for_path
from suture.retrieval.parse import count_syntax_errors
from suture.retrieval.positions import source_lines
from suture.retrieval.testfiles import is_test_path
from suture.tools.git.diffs import PatchError, apply_patch, diff_worktree
from suture.tools.pysyntax import syntax_error

__all__ = [
    "CreateFile",
    "DeleteFile",
    "Edit",
    "EditFormatError",
    "EditResult",
    "EditStatus",
    "PatchError",
    "apply_edits",
    "apply_patch",
    "diff_worktree",
    "MAX_EDIT_BYTES",
    "MAX_PATCH_BYTES",
    "PROTECTED",
    "edit_size_problem",
    "normalize_edit_path",
    "normalized_key",
    "parse_edit_blocks",
    "protected_reason",
]


@dataclass(frozen=True)
class Edit:
    """Replace the one place in `path` that matches `search` with `replace`.

    An empty `search` on a file that does not exist creates it with `replace`.
    """

    path: str
    search: str
    replace: str


@dataclass(frozen=True)
class CreateFile:
    path: str
    content: str


@dataclass(frozen=True)
class DeleteFile:
    path: str


AnyEdit = Edit | CreateFile | DeleteFile


class EditStatus(str, Enum):
    APPLIED = "applied"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    EMPTY_SEARCH = "empty_search"
    NO_CHANGE = "no_change"
    ALREADY_APPLIED = "already_applied"
    NEW_SYNTAX_ERROR = "new_syntax_error"
    OUTSIDE_REPO = "outside_repo"
    TEST_FILE_EDIT = "test_file_edit"
    FILE_NOT_FOUND = "file_not_found"
    FILE_EXISTS = "file_exists"
    # Beyond the contract's list: the file could not be read or written (permissions, a full disk).
    IO_ERROR = "io_error"
    PROTECTED_PATH = "protected_path"  # CI, packaging, test configuration, secrets, .git, .suture
    TOO_LARGE = "too_large"  # an edit or a patch over MAX_EDIT_BYTES / MAX_PATCH_BYTES


@dataclass
class EditResult:
    status: EditStatus
    path: str
    message: str  # one or a few sentences a model can act on

    @property
    def applied(self) -> bool:
        return self.status is EditStatus.APPLIED


class EditFormatError(ValueError):
    """Model text that is not well-formed SEARCH/REPLACE blocks; the message names the block and what is missing."""


# ------------------------------------------------------------------ block grammar

_HEAD = re.compile(r"^\s*<{5,9}\s*SEARCH\s*>?\s*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_UPDATED = re.compile(r"^\s*>{5,9}\s*REPLACE\s*(`{3,})?\s*$")  # a closing fence glued on is tolerated
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(?P<rest>.*)$")
_PATH_LOOKBACK = 3


def parse_edit_blocks(text: str) -> list[Edit]:
    """The SEARCH/REPLACE blocks of a model's answer, in order (Aider's block grammar).

        path/to/file.py
        ```python
        <<<<<<< SEARCH
        old lines
        =======
        new lines
        >>>>>>> REPLACE
        ```

    The path is the nearest path-like line among the three before the SEARCH
    marker (bare, `quoted`, **bold**, "# path", "path:", or "```path"); a block
    without one belongs to the previous block's file. Markers may have 5 to 9
    characters; fences and prose around the blocks are ignored. A block with an
    empty SEARCH is an Edit with search="" (apply_edits creates the file when it
    is missing). Raises EditFormatError naming the block and what is missing.
    Text without any block gives [].
    """
    lines = re.split(r"\r?\n", text)
    edits: list[Edit] = []
    path: str | None = None
    last_end = 0  # index just after the previous block, so a path is never taken from inside it
    i = 0
    while i < len(lines):
        line = lines[i]
        if _UPDATED.match(line):
            raise EditFormatError(
                f"Block {len(edits) + 1}: found '{line.strip()}' (line {i + 1}) without a '<<<<<<< SEARCH' line "
                "before it; every block is '<<<<<<< SEARCH', the old lines, '=======', the new lines, "
                "'>>>>>>> REPLACE'."
            )
        if not _HEAD.match(line):
            i += 1
            continue
        number = len(edits) + 1
        found = _path_before(lines, i, last_end)
        if found is None and path is None:
            raise EditFormatError(
                f"Block {number} (line {i + 1}) has no file path: put the file's path alone on the line "
                "just before the ``` fence or the '<<<<<<< SEARCH' line."
            )
        path = found or path
        search, i = _section(lines, i + 1, number, path, _DIVIDER, "=======", "SEARCH")
        replace, i = _section(lines, i + 1, number, path, _UPDATED, ">>>>>>> REPLACE", "REPLACE")
        edits.append(Edit(path, search, replace))
        i += 1
        last_end = i
    return edits


def _section(
    lines: list[str], start: int, number: int, path: str, end: re.Pattern[str], end_text: str, name: str
) -> tuple[str, int]:
    """Lines from `start` up to the `end` marker, joined with a final newline; index of the marker."""
    body: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if end.match(line):
            return ("\n".join(body) + "\n" if body else ""), i
        if _HEAD.match(line) or _UPDATED.match(line) or (name == "REPLACE" and _DIVIDER.match(line)):
            raise EditFormatError(
                f"Block {number} ({path}): its {name} section is not closed by a '{end_text}' line before "
                f"'{line.strip()}' at line {i + 1}; end every block with '>>>>>>> REPLACE' and use exactly one "
                "'=======' per block."
            )
        body.append(line)
        i += 1
    raise EditFormatError(
        f"Block {number} ({path}): the text ends inside its {name} section; the '{end_text}' line is missing."
    )


def _path_before(lines: list[str], head: int, floor: int) -> str | None:
    for j in range(head - 1, max(floor, head - _PATH_LOOKBACK) - 1, -1):
        path = _as_path(lines[j])
        if path:
            return path
    return None


def _as_path(line: str) -> str | None:
    line = line.strip()
    fence = _FENCE.match(line)
    if fence:
        # "```python" names a language, "```src/app.py" a file.
        line = fence.group("rest").strip()
        if "." not in line and "/" not in line:
            return None
    for prefix in ("# ", "// ", "-- "):
        line = line.removeprefix(prefix)
    line = line.strip().lstrip("#").strip().rstrip(":").strip().strip("`*'\"").strip()
    for label in ("File:", "file:", "Filename:", "filename:", "Path:", "path:"):
        if line.startswith(label):
            line = line[len(label):].strip().strip("`*'\"")
    if not line or any(ch.isspace() for ch in line) or line in ("...", "```"):
        return None
    # A path has a dot or a slash, or is one of the usual extension-less file names.
    if "." in line or "/" in line or line in ("Makefile", "Dockerfile", "LICENSE", "Procfile", "Gemfile", "Rakefile"):
        return line
    return None


# ------------------------------------------------------------------ files in memory

_BOM = codecs.BOM_UTF8


@dataclass
class _File:
    """One touched file: how it was on disk, and its text as the edits leave it."""

    rel: str
    abs: Path
    original: bytes | None  # None: did not exist
    mode: int | None
    link: str | None  # the target when the path itself is a symbolic link
    text: str | None  # current text with "\n" line ends; None: (now) absent
    bom: bool = False
    eol: str = "\n"
    encoding: str = "utf-8"  # a Python file's PEP 263 declaration: written back in it
    history: list[tuple[int, str | None]] = field(default_factory=list)  # (edit index, text after it)

    def encoded(self) -> bytes | None:
        return None if self.text is None else _encode(self.text, self.bom, self.eol, self.encoding)


def _decode(data: bytes, encoding: str = "utf-8") -> tuple[str, bool, str]:
    bom = data.startswith(_BOM)
    text = (data[len(_BOM):] if bom else data).decode(encoding, "surrogateescape")
    newlines = text.count("\n")
    # Only a file whose every line ends in CRLF is normalised; replace() round-trips exactly in that case.
    if newlines and text.count("\r\n") == newlines:
        return text.replace("\r\n", "\n"), bom, "\r\n"
    return text, bom, "\n"


def _encode(text: str, bom: bool, eol: str, encoding: str = "utf-8") -> bytes:
    if eol != "\n":
        text = text.replace("\n", eol)
    return (_BOM if bom else b"") + text.encode(encoding, "surrogateescape")


def _fits(state: _File, text: str) -> str:
    """`text` when the file's declared encoding can hold it, else _Rejected."""
    try:
        text.encode(state.encoding, "surrogateescape")
    except UnicodeEncodeError as error:
        bad = text[error.start:error.end]
        raise _Rejected(
            EditStatus.IO_ERROR,
            f"{state.rel} is declared as {state.encoding} (its coding line), which cannot hold {bad!r}; "
            "write that character as an escape (\\u...) or leave it out.",
        ) from None
    return text


class _Rejected(Exception):
    def __init__(self, status: EditStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ------------------------------------------------------------------ paths and limits

# A single edit (SEARCH + REPLACE, or a new file's content) and a whole patch are capped: a 5 MB
# edit once held suture for 15 minutes inside tree-sitter, where no signal reaches it.
MAX_EDIT_BYTES = 200_000
MAX_PATCH_BYTES = 1_000_000

# Paths no edit may touch, whoever proposes it (the rule engine, a model's tool call or its
# SEARCH/REPLACE blocks), unless the user names them with --allow-path: CI, packaging, test
# configuration (it decides what the oracle runs), interpreter start-up hooks, secrets, and git's and
# suture's own directories. Matched case-insensitively against the normalised path and against the
# path every symbolic link on the way resolves to.
PROTECTED_DIRS = frozenset({".git", ".suture", ".github", ".gitlab", ".circleci", ".ci", ".buildkite",
                            ".azure-pipelines", ".woodpecker", ".ssh", ".aws", ".gnupg", ".docker"})
PROTECTED = (
    # CI
    ".gitlab-ci.yml", ".travis.yml", "appveyor.yml", ".appveyor.yml", "azure-pipelines.yml", "jenkinsfile",
    "bitbucket-pipelines.yml", ".drone.yml", ".woodpecker.yml", ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml", "makefile", "dockerfile", "docker-compose*.yml",
    # packaging
    "setup.py", "setup.cfg", "pyproject.toml", "manifest.in", "requirements*.txt", "requirements*.in",
    "*.lock", "pipfile", "package.json", "package-lock.json",
    # test configuration
    "conftest.py", "pytest.ini", "tox.ini", "noxfile.py", ".coveragerc",
    # code every interpreter start runs
    "sitecustomize.py", "usercustomize.py", "*.pth",
    # git behaviour
    ".gitattributes", ".gitmodules",
    # secrets
    ".env", ".env.*", "*.env", ".envrc", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_dsa*", "id_ecdsa*",
    "id_ed25519*", ".netrc", ".pypirc", ".npmrc", "*.secret", "*secret*.toml", "*secret*.json", "*secret*.y*ml",
    "*secret*.txt", "credentials", "credentials.json",
)


class PathRefused(ValueError):
    """A path no edit may use; the message is one sentence for a model or a user."""

    def __init__(self, status: EditStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def normalize_edit_path(path: str) -> str:
    """`path` as the repository-relative POSIX path it names, or PathRefused.

    Every check on an edit's path runs on this form, so `./.github/x`, `pkg/../.github/x` and
    `pkg\\..\\.github\\x` are all `.github/x`. Absolute paths and paths that climb out are refused.
    """
    if not isinstance(path, str) or not path.strip():
        raise PathRefused(EditStatus.OUTSIDE_REPO, "The edit has an empty path; name a file inside the repository.")
    if "\0" in path or "\n" in path or "\r" in path:
        raise PathRefused(EditStatus.OUTSIDE_REPO, f"{path!r} is not a file path; name a file inside the repository.")
    spelled = path.strip().replace("\\", "/")
    if spelled.startswith("/") or re.match(r"^[A-Za-z]:/", spelled) or spelled.startswith("~"):
        raise PathRefused(EditStatus.OUTSIDE_REPO,
                          f"{path} is an absolute path; give the path relative to the repository root.")
    rel = posixpath.normpath(spelled)
    if rel in (".", "..") or rel.startswith("../"):
        raise PathRefused(EditStatus.OUTSIDE_REPO, f"{path} points outside the repository; edit files inside it.")
    return rel


def protected_reason(rel: str, allow: Sequence[str] = ()) -> str | None:
    """Why the normalised path `rel` may not be edited, or None; `allow` holds the user's --allow-path globs
    (they never open .git or .suture)."""
    parts = [part.lower() for part in PurePosixPath(rel).parts]
    if ".git" in parts or ".suture" in parts:
        where = ".git" if ".git" in parts else ".suture"
        return f"{rel} is inside {where}; only working-tree files can be edited."
    if any(fnmatch.fnmatchcase(rel, pattern) for pattern in allow):
        return None
    name = parts[-1] if parts else ""
    if PROTECTED_DIRS.intersection(parts[:-1]) or any(fnmatch.fnmatchcase(name, p) for p in PROTECTED):
        return (f"{rel} is a CI, build, test-configuration or secrets file; suture does not edit it "
                "(the user may allow it with --allow-path).")
    return None


def edit_size_problem(edit: AnyEdit) -> str | None:
    """Why `edit` is too large to consider, or None."""
    size = _edit_bytes(edit)
    if size > MAX_EDIT_BYTES:
        return (f"The edit of {edit.path} is {size:,} bytes, over suture's limit of {MAX_EDIT_BYTES:,} bytes per edit; "
                "change only the lines that need it.")
    return None


def _edit_bytes(edit: AnyEdit) -> int:
    if isinstance(edit, Edit):
        return len(edit.search.encode("utf-8", "surrogatepass")) + len(edit.replace.encode("utf-8", "surrogatepass"))
    if isinstance(edit, CreateFile):
        return len(edit.content.encode("utf-8", "surrogatepass"))
    return 0


def _protected_status(rel: str) -> EditStatus:
    """.git and .suture are outside the work tree proper (the contract's OUTSIDE_REPO); the rest is PROTECTED_PATH."""
    parts = {part.lower() for part in PurePosixPath(rel).parts}
    return EditStatus.OUTSIDE_REPO if {".git", ".suture"} & parts else EditStatus.PROTECTED_PATH


def _resolve(root: Path, path: str, allow_test_edits: bool, allow: Sequence[str] = ()) -> tuple[str, Path]:
    """The normalised relative path and the absolute path, or _Rejected."""
    try:
        rel = normalize_edit_path(path)
    except PathRefused as refused:
        raise _Rejected(refused.status, refused.message) from None
    why = protected_reason(rel, allow)
    if why:
        raise _Rejected(_protected_status(rel), why)
    absolute = root / rel
    real_root = root.resolve()
    # The parent decides where a write lands; the file itself may be a link to follow (inside the repo).
    target = absolute.resolve()
    if not target.is_relative_to(real_root) or not absolute.parent.resolve().is_relative_to(real_root):
        raise _Rejected(
            EditStatus.OUTSIDE_REPO,
            f"{path} leads outside the repository through a symbolic link; edit files inside it only.",
        )
    # A link inside the tree may lead to a protected place: judge where the write really lands too.
    real_rel = target.relative_to(real_root).as_posix()
    why = protected_reason(real_rel, allow) if real_rel != rel else None
    if why:
        raise _Rejected(_protected_status(real_rel), f"{path} leads through a symbolic link: {why}")
    if not allow_test_edits and (is_test_path(rel) or is_test_path(real_rel)):
        raise _Rejected(
            EditStatus.TEST_FILE_EDIT,
            f"{rel} is a test file and editing tests is not allowed; fix the code under test instead.",
        )
    return rel, absolute


def _load(rel: str, absolute: Path) -> _File:
    try:
        link = os.readlink(absolute) if absolute.is_symlink() else None
        if absolute.is_dir():
            raise _Rejected(EditStatus.FILE_NOT_FOUND, f"{rel} is a directory, not a file.")
        if not absolute.exists():
            return _File(rel, absolute, None, None, link, None)
        data = absolute.read_bytes()
        mode = stat.S_IMODE(absolute.stat().st_mode)
    except OSError as error:
        raise _Rejected(EditStatus.IO_ERROR, f"{rel} could not be read ({error.strerror or error}).") from None
    encoding = source_encoding(data, rel)
    text, bom, eol = _decode(data, encoding)
    return _File(rel, absolute, data, mode, link, text, bom, eol, encoding)


# ------------------------------------------------------------------ matching


@dataclass(frozen=True)
class _Match:
    start: int  # character offsets in the text
    end: int
    line: int  # 1-based first line
    add: str = ""  # indent the file has on top of the SEARCH's
    remove: str = ""  # indent the SEARCH has on top of the file's


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


def _fragment_matches(text: str, search: str) -> list[_Match]:
    found, at = [], text.find(search)
    while at != -1:
        found.append(_Match(at, at + len(search), text.count("\n", 0, at) + 1))
        at = text.find(search, at + 1)
    return found


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _shift(file_line: str, search_line: str) -> tuple[str, str] | None:
    """(add, remove) such that file_line == add + search_line or remove + file_line == search_line."""
    fi, si = _indent(file_line), _indent(search_line)
    if file_line[len(fi):] != search_line[len(si):]:
        return None
    if fi.endswith(si):
        return fi[: len(fi) - len(si)], ""
    if si.endswith(fi):
        return "", si[: len(si) - len(fi)]
    return None


def _window_shift(file_lines: list[str], at: int, search_lines: list[str]) -> tuple[str, str] | None:
    shift: tuple[str, str] | None = None
    for offset, s in enumerate(search_lines):
        f = file_lines[at + offset]
        if not s.strip() or not f.strip():
            if s.strip() or f.strip():
                return None
            continue
        if shift is None:
            shift = _shift(f, s)
            if shift is None:
                return None
        else:
            add, remove = shift
            if (add + s if add else s) != (f if not remove else remove + f):
                return None
    return shift


def _line_matches(text: str, search: str) -> tuple[list[_Match], bool]:
    """Whole-line matches of `search`: the exact ones, else the indentation-shifted ones (and which it was)."""
    file_lines = _split_lines(text)
    search_lines = _split_lines(search)
    starts = _line_starts(text)
    n = len(search_lines)
    exact: list[_Match] = []
    shifted: list[_Match] = []
    # The first non-blank SEARCH line must equal its file line up to indentation: a cheap filter.
    anchor = next((k for k, line in enumerate(search_lines) if line.strip()), None)
    tolerant = anchor is not None  # a blank-only SEARCH has no indentation to shift
    anchor_text = search_lines[anchor].strip() if tolerant else ""
    for at in range(len(file_lines) - n + 1):
        if tolerant and file_lines[at + anchor].strip() != anchor_text:
            continue
        window = file_lines[at : at + n]
        begin = starts[at]
        finish = starts[at + n] if at + n < len(starts) else len(text)
        if window == search_lines:
            exact.append(_Match(begin, finish, at + 1))
        elif tolerant and not exact:
            shift = _window_shift(file_lines, at, search_lines)
            if shift is not None:
                shifted.append(_Match(begin, finish, at + 1, *shift))
    return (exact, True) if exact else (shifted, False)


def _find(text: str, search: str) -> tuple[list[_Match], bool, bool]:
    """(matches, exact, line_mode). A multi-line SEARCH is matched by whole lines (indentation
    tolerant); when it starts or ends mid-line no whole-line window holds it, so its exact
    text is looked up as a fragment instead."""
    if "\n" not in search:
        return _fragment_matches(text, search), True, False
    matches, exact = _line_matches(text, search)
    if not matches:
        fragments = _fragment_matches(text, search)
        if fragments:
            return fragments, True, False
    return matches, exact, True


def _already_there(text: str, replace: str) -> bool:
    """The REPLACE text is in the file as more than a chance fragment ("y" is in "key")."""
    if not replace.strip():
        return False
    matches, _, line_mode = _find(text, replace)
    if not matches:
        return False
    if line_mode or "\n" in replace.strip():
        return True
    wanted = replace.strip()
    return len(wanted) >= 20 or any(line.strip() == wanted for line in text.splitlines())


def _replacement(match: _Match, replace: str, text: str, line_mode: bool) -> str:
    if not line_mode:
        return replace
    lines = _split_lines(replace)
    if match.add or match.remove:
        lines = [_reindent(line, match.add, match.remove) for line in lines]
    new = "".join(line + "\n" for line in lines)
    # The last line of the file had no newline: neither has the line that replaces it.
    if new and not text[match.start : match.end].endswith("\n"):
        new = new[:-1]
    return new


def _reindent(line: str, add: str, remove: str) -> str:
    if not line.strip():
        return line
    if add:
        return add + line
    if line.startswith(remove):
        return line[len(remove):]
    return line.lstrip()  # less indented than the shift: it goes to the margin


def _lines_for_message(lines: list[str], first: int, last: int) -> str:
    width = len(str(last))
    return "\n".join(f"{n:>{width}} | {lines[n - 1]}" for n in range(first, last + 1))


def _most_similar(text: str, search: str) -> str:
    """The window of the file most like `search`, with line numbers; "" for an empty file."""
    file_lines = _split_lines(text)
    search_lines = _split_lines(search) or [search]
    if not file_lines:
        return ""
    n = min(len(search_lines), len(file_lines))
    target = "\n".join(line.strip() for line in search_lines)
    stripped = [line.strip() for line in file_lines]
    # A cheap word-overlap score picks a few windows; difflib ranks those (difflib on every window is slow).
    words = [set(re.findall(r"\w+|[^\w\s]", line)) for line in stripped]
    wanted = [set(re.findall(r"\w+|[^\w\s]", line.strip())) for line in search_lines[:n]]

    def overlap(at: int) -> float:
        return sum(len(w & words[at + k]) / (len(w | words[at + k]) or 1) for k, w in enumerate(wanted))

    windows = range(len(file_lines) - n + 1)
    picked = sorted(windows, key=overlap, reverse=True)[:8]
    best = max(picked, key=lambda at: difflib.SequenceMatcher(None, "\n".join(stripped[at : at + n]), target).ratio())
    return _lines_for_message(file_lines, best + 1, best + n)


# ------------------------------------------------------------------ one edit in memory


def _create(state: _File, content: str) -> None:
    """A new file's text, written in the encoding its own coding line declares."""
    data = content.encode("utf-8", "surrogateescape")
    text, bom, eol = _decode(data)
    declared = source_encoding(data, state.rel)
    # The declaration is read off the UTF-8 bytes; it holds only when the text fits that codec.
    state.encoding = declared if declared == "utf-8" or _encodes(text, declared) else "utf-8"
    state.text, state.bom, state.eol = text, bom, eol


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _apply_one(state: _File, edit: AnyEdit) -> str:
    """Apply `edit` to the in-memory `state`; return the success message or raise _Rejected."""
    rel = state.rel
    if isinstance(edit, DeleteFile):
        if state.text is None:
            raise _Rejected(EditStatus.FILE_NOT_FOUND, f"{rel} does not exist, so it cannot be deleted.")
        state.text = None
        return f"Deleted {rel}."
    if isinstance(edit, CreateFile):
        if state.text is not None:
            raise _Rejected(
                EditStatus.FILE_EXISTS,
                f"{rel} already exists; change it with a SEARCH/REPLACE edit instead of creating it.",
            )
        _create(state, edit.content)
        return f"Created {rel}."
    search = edit.search.replace("\r\n", "\n")
    replace = edit.replace.replace("\r\n", "\n")
    if state.text is None:
        if search:
            raise _Rejected(
                EditStatus.FILE_NOT_FOUND,
                f"{rel} does not exist; to create it, use an empty SEARCH section and put the whole file in REPLACE.",
            )
        _create(state, replace)
        return f"Created {rel}."
    if not search:
        if not state.text.strip():
            state.text = _fits(state, replace)
            return f"Wrote {rel} (it was empty)."
        raise _Rejected(
            EditStatus.EMPTY_SEARCH,
            f"The SEARCH section for {rel} is empty but the file exists; copy the lines to change into SEARCH.",
        )
    if search == replace:
        raise _Rejected(EditStatus.NO_CHANGE, f"SEARCH and REPLACE are identical for {rel}; the edit changes nothing.")
    text = state.text
    matches, exact, line_mode = _find(text, search)
    if len(matches) > 1:
        where = ", ".join(str(m.line) for m in matches[:10]) + (", ..." if len(matches) > 10 else "")
        how = "" if exact else " (ignoring indentation)"
        raise _Rejected(
            EditStatus.AMBIGUOUS,
            f"The SEARCH text matches {len(matches)} places in {rel}{how}, starting at lines {where}; "
            "add surrounding lines to SEARCH so it matches exactly one place.",
        )
    if not matches:
        if _already_there(text, replace):
            raise _Rejected(
                EditStatus.ALREADY_APPLIED,
                f"{rel} already contains the REPLACE text and not the SEARCH text; "
                "this edit seems to be applied already.",
            )
        similar = _most_similar(text, search)
        hint = f" The most similar lines are:\n{similar}\n" if similar else " The file is empty. "
        raise _Rejected(
            EditStatus.NOT_FOUND,
            f"The SEARCH text was not found in {rel}.{hint}"
            "Copy SEARCH exactly from the file, with the same indentation, blank lines and comments.",
        )
    match = matches[0]
    state.text = _fits(state, text[: match.start] + _replacement(match, replace, text, line_mode) + text[match.end :])
    if exact:
        return f"Applied the edit to {rel} at line {match.line}."
    return f"Applied the edit to {rel} at line {match.line}, adjusting its indentation to the file's."


# ------------------------------------------------------------------ parse gate


def _compile_error(data: bytes, rel: str) -> str | None:
    """CPython's first complaint about the file, or None when it compiles."""
    problem = syntax_error(data, rel)
    return None if problem is None else f"line {problem[0]}: {problem[1]}"


def _first_error_line(language: str, data: bytes) -> int | None:
    node = get_parser(language).parse(data).root_node
    while node.has_error:
        for child in node.children:
            if child.is_error or child.is_missing:
                return child.start_point[0] + 1
            if child.has_error:
                node = child
                break
        else:
            return node.start_point[0] + 1
    return None


def _new_syntax_error(rel: str, before: bytes | None, after: bytes) -> str | None:
    """Why `after` has a syntax error `before` did not have, or None."""
    language = language_for_path(rel)
    if language is None:
        return None
    if language == "python":
        # tree-sitter accepts some code CPython rejects. compile() reports only the first error, so it
        # can only tell "new" when the file compiled before; a file already broken is left to tree-sitter.
        was_ok = before is None or _compile_error(before, rel) is None
        if was_ok:
            problem = _compile_error(after, rel)
            if problem:
                return f"Python cannot compile {rel} after the edit ({problem})"
    errors_before = count_syntax_errors(language, before) if before is not None else 0
    errors_after = count_syntax_errors(language, after)
    if errors_after > errors_before:
        line = _first_error_line(language, after)
        near = f", the first near line {line}" if line else ""
        return (
            f"the {language} parser finds {errors_after} syntax errors in {rel} after the edit "
            f"({errors_before} before){near}"
        )
    return None


def _gate(state: _File) -> tuple[int, str] | None:
    """(index of the edit to blame, reason) when the file's final text has a new syntax error."""
    after = state.encoded()
    if after is None or not state.history:
        return None
    reason = _new_syntax_error(state.rel, state.original, after)
    if reason is None:
        return None
    # Blame the edit after which the file never again parsed as well as before.
    blamed = state.history[-1][0]
    for index, text in reversed(state.history[:-1]):
        if text is None or _new_syntax_error(state.rel, state.original,
                                             _encode(text, state.bom, state.eol, state.encoding)) is None:
            break
        blamed = index
    return blamed, reason


# ------------------------------------------------------------------ writing


def _write(state: _File, created_dirs: list[Path]) -> None:
    data = state.encoded()
    if data is None:
        state.abs.unlink()
        return
    if state.original is not None:
        state.abs.write_bytes(data)  # in place: mode, owner and links stay as they were
        return
    missing = []
    parent = state.abs.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        directory.mkdir()
        created_dirs.append(directory)
    with open(state.abs, "xb") as handle:
        handle.write(data)


def _restore(state: _File) -> None:
    path = state.abs
    if state.original is None:
        if path.exists() or path.is_symlink():
            path.unlink()
        return
    if state.link is not None and not path.is_symlink():
        if path.exists():
            path.unlink()
        os.symlink(state.link, path)
        return
    path.write_bytes(state.original)
    if state.mode is not None:
        os.chmod(path, state.mode)


def _write_all(states: list[_File]) -> None:
    done: list[_File] = []
    created_dirs: list[Path] = []
    try:
        for state in states:
            if state.encoded() == state.original:
                continue
            done.append(state)
            if state.text is None and state.link is not None:
                state.abs.unlink()  # deleting a link removes the link, not what it points to
                continue
            _write(state, created_dirs)
    except BaseException:
        for state in reversed(done):
            try:
                _restore(state)
            except OSError:
                pass
        for directory in reversed(created_dirs):
            try:
                directory.rmdir()
            except OSError:
                pass
        raise


# ------------------------------------------------------------------ the public entry


def apply_edits(
    root: Path, edits: Sequence[AnyEdit], *, allow_test_edits: bool = False, allow_paths: Sequence[str] = ()
) -> list[EditResult]:
    """Apply `edits` to the files under `root`, all or nothing; one result per edit, in order.

    Every path is normalised, then refused when it leads outside `root` or to a protected file
    (PROTECTED; `allow_paths` are the user's --allow-path globs); an edit over MAX_EDIT_BYTES, or
    edits over MAX_PATCH_BYTES together, are refused before any matching or parsing.

    Edits apply in sequence (a later edit sees an earlier one's result on the same
    file). Every edit is checked even after one is rejected, so a model gets all its
    mistakes at once; when any is rejected nothing is written, and the edits that
    did match keep status APPLIED with a message saying they were not written.
    """
    root = Path(root)
    if not root.is_dir():
        message = f"{root} is not a directory, so no edit can be applied there."
        return [EditResult(EditStatus.FILE_NOT_FOUND, edit.path, message) for edit in edits]
    states: dict[str, _File] = {}  # by resolved path, so a link and its target are one file
    results: list[EditResult] = []
    total = sum(_edit_bytes(edit) for edit in edits)
    if total > MAX_PATCH_BYTES:
        message = (f"The edits add up to {total:,} bytes, over suture's limit of {MAX_PATCH_BYTES:,} bytes per patch; "
                   "change only the lines that need it.")
        return [EditResult(EditStatus.TOO_LARGE, str(edit.path), message) for edit in edits]
    for index, edit in enumerate(edits):
        rel = edit.path
        try:
            too_large = edit_size_problem(edit)
            if too_large:
                raise _Rejected(EditStatus.TOO_LARGE, too_large)
            rel, absolute = _resolve(root, edit.path, allow_test_edits, allow_paths)
            # Deleting a link removes the link; editing one edits what it points to.
            where = absolute.parent.resolve() / absolute.name if isinstance(edit, DeleteFile) else absolute.resolve()
            state = states.get(str(where)) or _load(rel, absolute)
            # _apply_one changes state.text only when it accepts the edit.
            message = _apply_one(state, edit)
            states[str(where)] = state
            state.history.append((index, state.text))
            results.append(EditResult(EditStatus.APPLIED, rel, message))
        except _Rejected as rejected:
            results.append(EditResult(rejected.status, rel, rejected.message))
    for state in states.values():
        blamed = _gate(state)
        if blamed is not None:
            index, reason = blamed
            results[index] = EditResult(
                EditStatus.NEW_SYNTAX_ERROR,
                state.rel,
                f"The edit was refused because {reason}; fix the REPLACE text so the file parses.",
            )
    rejected = [i for i, result in enumerate(results) if not result.applied]
    if rejected:
        first = results[rejected[0]]
        for i, result in enumerate(results):
            if result.applied:
                results[i] = EditResult(
                    EditStatus.APPLIED,
                    result.path,
                    f"This edit matched, but nothing was written because edit {rejected[0] + 1} ({first.path}) "
                    f"was rejected; send it again together with the corrected edit.",
                )
        return results
    try:
        _write_all(list(states.values()))
    except OSError as error:
        culprit = Path(error.filename).name if getattr(error, "filename", None) else "a file"
        sentence = f"Writing {culprit} failed ({error.strerror or error}); every file was restored."
        return [EditResult(EditStatus.IO_ERROR, r.path, sentence) for r in results]
    return results


# ------------------------------------------------------------------ dedupe key


def normalized_key(path: str, text: str) -> str:
    """A key equal for two versions of a file that differ only in whitespace or comments.

    Python: the AST (ast.dump without positions). Other languages, and Python that
    does not parse: tree-sitter's leaf tokens without comments (a string literal is
    one token, so whitespace inside strings still counts). Files without a grammar:
    the text with whitespace runs collapsed.
    """
    language = language_for_path(path)
    if language == "python":
        try:
            text = text.removeprefix("\ufeff")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dump = ast.dump(ast.parse(text))
            return "python-ast:" + hashlib.sha256(dump.encode("utf-8", "surrogateescape")).hexdigest()
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    digest = hashlib.sha256()
    if language is None:
        digest.update(" ".join(text.split()).encode("utf-8", "surrogateescape"))
        return "text:" + digest.hexdigest()
    for token in _leaf_tokens(language, text.encode("utf-8", "surrogateescape")):
        digest.update(len(token).to_bytes(4, "little"))
        digest.update(token)
    return f"{language}-tokens:" + digest.hexdigest()


def _leaf_tokens(language: str, data: bytes) -> list[bytes]:
    cursor = get_parser(language).parse(data).walk()
    tokens: list[bytes] = []
    while True:
        node = cursor.node
        kind = node.type
        if "comment" in kind:
            pass
        elif node.child_count == 0 or "string" in kind:
            tokens.append(data[node.start_byte : node.end_byte])
        elif cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return tokens


def edit_between(path: str, old: str, new: str) -> Edit:
    """One SEARCH/REPLACE edit from `old` to `new`: the lines between their common head and tail,
    widened by a line of context at a time until the SEARCH text occurs once in `old`. Lines end at
    "\n" only, as the edits' matching reads them (a form feed is no line end). optimize stacks its
    accepted edits this way; fix's tidy step turns a simplified file back into an edit."""
    a, b = source_lines(old), source_lines(new)
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    start, end = head, len(a) - tail
    while True:
        search = "".join(a[start:end])
        if (search and old.count(search) == 1) or (start == 0 and end == len(a)):
            break
        start, end = max(0, start - 1), min(len(a), end + 1)
    return Edit(path, search, "".join(b[start:len(b) - (len(a) - end)]))
