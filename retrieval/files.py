"""Which files of a directory the index reads.

In a git work tree git itself answers (`git ls-files`: tracked plus untracked
files that are not ignored), so .gitignore, .git/info/exclude and the global
excludes behave exactly as the user expects. A plain directory is walked with
os.scandir and its .gitignore files are honoured through pathspec.

Listing stats files but never reads them: a warm re-index must not touch file
contents. Reading (and the binary check) happens in `read_source`.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import subprocess
import tokenize
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pathspec

from .languages import has_no_grammar, language_for_path

# Directories of other people's code. Skipped wherever they occur; each
# skipped directory counts once as "vendored". build/ and dist/ are not on the
# list: some projects keep real sources there, and where they are build output
# .gitignore already says so.
# Virtual environments are recognised by their pyvenv.cfg, whatever their name
# (a plain name test would throw away the standard library's own venv package).
VENDORED_DIRS = frozenset(
    {"node_modules", "bower_components", "vendor", "third_party", "site-packages", ".venv", ".tox", ".nox", ".eggs"}
)
VENV_MARKER = "pyvenv.cfg"
# Tool and cache directories: never source, so skipped without being counted.
HIDDEN_DIRS = frozenset(
    {".git", ".hg", ".svn", ".suture", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)

BINARY_SNIFF_BYTES = 8192


class SourceFile(NamedTuple):
    path: str  # repo-relative POSIX path
    language: str
    size: int
    mtime_ns: int


class Listing(NamedTuple):
    files: list[SourceFile]  # sorted by path
    skipped: dict[str, int]  # reason -> count


def _count(skipped: dict[str, int], reason: str, n: int = 1) -> None:
    skipped[reason] = skipped.get(reason, 0) + n


def _git_lines(root: Path, *args: str) -> list[str] | None:
    """NUL-separated output of a git command run in root, or None when root is no work tree."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError:  # git not installed
        return None
    if done.returncode != 0:
        return None
    return [os.fsdecode(item) for item in done.stdout.split(b"\0") if item]


def _vendored_prefix(path: str, venvs: set[str]) -> str | None:
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part in VENDORED_DIRS or part in HIDDEN_DIRS or (venvs and "/".join(parts[: i + 1]) in venvs):
            return "/".join(parts[: i + 1])
    return None


def _maybe_in_git(root: Path) -> bool:
    # A few stats are cheaper than starting git just to hear "not a repository".
    if "GIT_DIR" in os.environ:
        return True
    return any((directory / ".git").exists() for directory in (root, *root.parents))


def _git_candidates(root: Path, skipped: dict[str, int]) -> list[str] | None:
    if not _maybe_in_git(root):
        return None
    paths = _git_lines(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if paths is None:
        return None
    if not paths and _git_lines(root, "check-ignore", "-q", ".") is not None:
        # root lies in a directory its enclosing repository ignores (a Python
        # install inside a pyenv checkout): git has nothing to say, walk it.
        return None
    ignored = _git_lines(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
    ignored_count = sum(1 for p in ignored or () if HIDDEN_DIRS.isdisjoint(p.rstrip("/").split("/")))
    if ignored_count:
        _count(skipped, "gitignored", ignored_count)
    kept: list[str] = []
    vendored: set[str] = set()
    # A virtualenv that is not ignored shows up through its own pyvenv.cfg.
    venvs = {path.rpartition("/")[0] for path in paths if path.endswith("/" + VENV_MARKER)}
    for path in dict.fromkeys(paths):  # a conflicted file is listed once per stage
        if path.endswith("/"):  # an untracked nested repository
            continue
        prefix = _vendored_prefix(path, venvs)
        if prefix is not None:
            if prefix.rsplit("/", 1)[-1] not in HIDDEN_DIRS:
                vendored.add(prefix)
            continue
        kept.append(path)
    if vendored:
        _count(skipped, "vendored", len(vendored))
    return kept


def _load_gitignore(directory: str) -> pathspec.GitIgnoreSpec | None:
    import pathspec  # only plain directories with .gitignore files need it

    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as handle:
            return pathspec.GitIgnoreSpec.from_lines(handle)
    except OSError:
        return None


def _is_ignored(specs: list[tuple[str, pathspec.GitIgnoreSpec]], rel: str) -> bool:
    # The deepest .gitignore with a matching pattern decides, as in git.
    for base, spec in reversed(specs):
        result = spec.check_file(rel[len(base):])
        if result.include is not None:
            return result.include
    return False


def _walk_candidates(root: Path, skipped: dict[str, int]) -> list[str]:
    """Relative paths of the files under a plain directory (symlinked dirs not followed)."""
    found: list[str] = []
    root_text = str(root)
    # An explicit stack rather than recursion: directory depth is the user's business.
    stack: list[tuple[str, str, list[tuple[str, pathspec.GitIgnoreSpec]]]] = [(root_text, "", [])]
    while stack:
        directory, rel_dir, specs = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            _count(skipped, "unreadable")
            continue
        names = {entry.name for entry in entries}
        if rel_dir and VENV_MARKER in names:
            _count(skipped, "vendored")
            continue
        if ".gitignore" in names:
            spec = _load_gitignore(directory)
            if spec is not None:
                specs = [*specs, (rel_dir, spec)]
        for entry in entries:
            rel = rel_dir + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in HIDDEN_DIRS:
                    continue
                if entry.name in VENDORED_DIRS:
                    _count(skipped, "vendored")
                elif specs and _is_ignored(specs, rel + "/"):
                    _count(skipped, "gitignored")
                else:
                    stack.append((entry.path, rel + "/", specs))
            elif specs and _is_ignored(specs, rel):
                _count(skipped, "gitignored")
            elif entry.is_symlink() and os.path.isdir(entry.path):
                if not _inside(root_text, entry.path):
                    _count(skipped, "outside_root")
                # a symlinked directory inside the root: its files are indexed where they live
            else:
                found.append(rel)
    return found


def _inside(root_text: str, path: str) -> bool:
    real = os.path.realpath(path)
    return real == root_text or real.startswith(root_text.rstrip(os.sep) + os.sep)


def list_source_files(root: Path, max_file_bytes: int) -> Listing:
    """The files under `root` that have a grammar, with size and mtime, and skip counts.

    `root` must be an existing directory, already resolved.
    """
    skipped: dict[str, int] = {}
    paths = _git_candidates(root, skipped)
    if paths is None:
        paths = _walk_candidates(root, skipped)
    root_text = str(root)
    files: list[SourceFile] = []
    for rel in paths:
        language = language_for_path(rel)
        if language is None:
            if has_no_grammar(rel):
                _count(skipped, "no_grammar")
            continue
        full = os.path.join(root_text, rel)
        try:
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                if not _inside(root_text, full):
                    _count(skipped, "outside_root")
                    continue
                info = os.stat(full)
        except FileNotFoundError:  # tracked but deleted in the work tree, or a dangling link
            continue
        except OSError:
            _count(skipped, "unreadable")
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if info.st_size > max_file_bytes:
            _count(skipped, "too_large")
            continue
        files.append(SourceFile(rel, language, info.st_size, info.st_mtime_ns))
    files.sort(key=lambda source: source.path)
    return Listing(files, skipped)


def read_source(root: Path, path: str, max_file_bytes: int) -> tuple[bytes | None, str]:
    """(bytes, "") for an indexable file, or (None, reason) when it must be skipped.

    Reasons: "unreadable", "binary" (a NUL byte in the first 8 KiB), "too_large"
    (grew past the limit since it was listed).
    """
    try:
        with open(os.path.join(root, path), "rb") as handle:
            data = handle.read(max_file_bytes + 1)
    except OSError:
        return None, "unreadable"
    if len(data) > max_file_bytes:
        return None, "too_large"
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, "binary"
    return data, ""


PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")


def source_encoding(data: bytes, path: str) -> str:
    """The codec a file's text is in: for Python files the PEP 263 declaration
    (`# -*- coding: latin-1 -*-`), found as CPython finds it (tokenize.detect_encoding);
    "utf-8" otherwise, for a UTF-8 BOM, and when the declaration is unknown or does not
    decode the file (CPython would refuse it too; suture then keeps the bytes as they are).
    The name is the codec's canonical one ("iso8859-1" for latin-1).
    """
    if not path.endswith(PYTHON_SUFFIXES):
        return "utf-8"
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        name = codecs.lookup(declared).name
    except (SyntaxError, LookupError):
        return "utf-8"
    if name in ("utf-8", "utf-8-sig"):
        return "utf-8"
    try:
        data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return "utf-8"
    return name


def decode_source(data: bytes, path: str) -> str:
    """A source file's text in its own encoding (see `source_encoding`), BOM removed; bytes that are
    not valid in it survive as surrogates ("surrogateescape"), so nothing is lost on the way back."""
    encoding = source_encoding(data, path)
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    return data.decode(encoding, "surrogateescape")


def encode_source(text: str, path: str) -> bytes:
    """`decode_source`'s way back: the text in the encoding its own declaration names (a PEP 263
    cookie is ASCII, so it is found in the text as in the bytes); UTF-8 when there is none or the
    text has a character that encoding cannot hold."""
    encoding = source_encoding(text.encode("utf-8", "surrogateescape"), path)
    try:
        return text.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")
