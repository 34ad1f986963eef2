"""The verifier's shared parts: what is checked (`Target`), what was established (`Verdict`,
`Counterexample`), reading the function (one parse per content, its side effects) and the
killable child processes every backend runs in (re-exported from tools/verify/bounded_run.py).

Its own module so that the backends (tools/verify/crosshair_backend.py, hypothesis_backend.py,
esbmc_backend.py) and the replay (tools/verify/counterexample.py) import these without importing
the portfolio (tools/verify/verifier.py), which imports them: no import cycle.
"""

from __future__ import annotations

import ast
import atexit
import bisect
import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from suture.tools.childenv import project_env
from suture.tools.testing.pyenv import verifier_path
from suture.tools.verify.bounded_run import BoundedRun, run_bounded  # noqa: F401 - re-exported

__all__ = [
    "BACKENDS", "BYTECODE_ENV", "BoundedRun", "Counterexample", "FLOAT_POLICIES", "Target", "VERDICTS", "Verdict",
    "bytecode_name", "child_env", "find_function", "impure_verdict", "import_root", "module_name", "parse_module",
    "precompile", "read_source", "replay_seconds", "run_bounded", "side_effects",
]

Mode = Literal["contracts", "equivalence"]
VERDICTS = ("counterexample", "no_counterexample_within_bound", "exhausted", "unsupported", "error")
BACKENDS = ("crosshair", "hypothesis", "esbmc")
FLOAT_POLICIES = ("exact", "isclose")


@dataclass
class Counterexample:
    """Inputs that break the function, as Python expressions (their repr) keyed by parameter name."""

    inputs: dict[str, str]
    message: str
    location: str  # "path:line" of the failing line, "" when unknown
    replayed: bool  # reproduced in CPython (always False for C: nothing to replay it in)
    expected: str | None = None  # equivalence: what the base did ("returns 3", "raises ValueError")
    actual: str | None = None  # equivalence: what the candidate did

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    verdict: str  # one of VERDICTS
    backend: str  # the backend that decided it; "portfolio" when several ran and none found anything
    bound: int | None  # in the backend's unit, see bound_kind
    bound_kind: str  # "unwind", "examples", "max_uninteresting_iterations", "" when none applied
    iterations: int | None  # paths, examples or properties the backend reports, None when it does not say
    seconds: float
    message: str
    counterexample: Counterexample | None = None
    artefacts: list[str] = field(default_factory=list)  # backend counterexamples CPython did not reproduce
    runs: list["Verdict"] = field(default_factory=list)  # the portfolio's members, in the order they ran

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")

    def to_dict(self) -> dict[str, Any]:
        out = {
            "verdict": self.verdict,
            "backend": self.backend,
            "bound": self.bound,
            "bound_kind": self.bound_kind,
            "iterations": self.iterations,
            "seconds": round(self.seconds, 3),
            "message": self.message,
            "counterexample": self.counterexample.to_dict() if self.counterexample else None,
            "artefacts": list(self.artefacts),
        }
        if self.runs:
            out["runs"] = [run.to_dict() for run in self.runs]
        return out


@dataclass(frozen=True)
class Target:
    """One function in one file of a directory tree (or a whole C file, function "" = main).

    `root` is the directory the file's imports resolve from (see `import_root`); `path` is
    relative to it. For equivalence, `base_source` is the file's text at the base revision.
    `param_types` ("items" -> "list[int]", see tools/verify/arg_types.py) types the unannotated
    parameters: the backends draw inputs of those types, and the replay takes an input of
    another type (one the tests never pass) as no evidence; the files themselves are not changed.
    """

    root: Path
    path: str
    function: str = ""
    base_source: str | None = None
    param_types: dict[str, str] | None = field(default=None, compare=False, hash=False)

    @property
    def file(self) -> Path:
        return self.root / self.path

    @property
    def language(self) -> str:
        suffix = Path(self.path).suffix
        return {".py": "python", ".c": "c", ".h": "c"}.get(suffix, "unknown")

    @property
    def display(self) -> str:
        return f"{self.path}::{self.function}" if self.function else self.path


# ---------------------------------------------------------------- Python modules


def import_root(file: Path) -> Path:
    """The sys.path entry from which `file` imports under its package name.

    Walks up while the directory is a package (has __init__.py): pkg/sub/mod.py with
    __init__.py in pkg/ and pkg/sub/ imports as pkg.sub.mod from pkg's parent.
    """
    directory = file.resolve().parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        directory = directory.parent
    return directory


def module_name(path: str) -> str:
    """Dotted module name of a root-relative .py path ("pkg/mod.py" -> "pkg.mod")."""
    parts = list(Path(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# ---------------------------------------------------------------- one parse per content

# A very large module (tens of MB) takes a minute and gigabytes to parse whole; the planner,
# the backends and the type inference only look at one function, the module's imports and
# the functions it calls. So a module is parsed once per content, and a very large one only
# in those parts (see `_focused_tree`).
_TREES: OrderedDict[tuple[bytes, str], tuple[int, ast.Module | SyntaxError]] = OrderedDict()
_TREES_LOCK = threading.Lock()
_TREES_MAX_CHARS = 4_000_000  # sources kept beyond the most recent one
LARGE_SOURCE_CHARS = 1_000_000  # above this, only the parts of a module that matter are parsed


def _content_key(source: str) -> bytes:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def parse_module(source: str, focus: str | None = None) -> ast.Module:
    """`ast.parse(source)`, once per content (raises its SyntaxError). With `focus` (a qualname)
    and a very large source, a module of only the top-level statements that matter for that
    function: its definition, the module's imports and the definitions of what it calls,
    transitively, each at its own line numbers. The tree is shared between callers and
    threads: read it, never change it (copy a node to edit it)."""
    focus = focus if focus and len(source) > LARGE_SOURCE_CHARS else ""
    key = (_content_key(source), focus)
    with _TREES_LOCK:
        hit = _TREES.get(key)
        if hit is not None:
            _TREES.move_to_end(key)
    if hit is None:
        try:
            parsed: ast.Module | SyntaxError = (_focused_tree(source, focus) if focus else None) or ast.parse(source)
        except SyntaxError as exc:
            parsed = exc
        hit = (len(source) if not focus else 0, parsed)
        with _TREES_LOCK:
            _TREES[key] = hit
            while len(_TREES) > 1 and sum(size for size, _ in _TREES.values()) > _TREES_MAX_CHARS:
                _TREES.popitem(last=False)
    if isinstance(hit[1], SyntaxError):
        raise hit[1]
    return hit[1]


# Where a top-level statement may start: a line at column 0 that is not a comment, a closing
# bracket or the else/elif/except/finally of the statement before.
_TOP_LEVEL = re.compile(r"^(?![\s#)\]}]|else\b|elif\b|except\b|finally\b|case\b)", re.M)
_DEFINITION = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)
_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]", re.M)


def _focused_tree(source: str, qualname: str) -> ast.Module | None:
    """The top-level statements of `source` that `qualname` needs, parsed one by one; None when
    the text cannot be cut that way (a piece that does not parse alone): then the whole is parsed.

    The cuts come from the text (lines at column 0), so a cut inside a string or a bracket is
    possible; such a piece never parses on its own, and the caller falls back to the full parse.
    """
    starts = [m.start() for m in _TOP_LEVEL.finditer(source) if m.start() < len(source)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    # A decorator belongs to the definition below it: no cut between them.
    starts = [pos for i, pos in enumerate(starts) if i == 0 or source[starts[i - 1]] != "@"]
    ends = starts[1:] + [len(source)]
    newlines = [m.start() for m in re.finditer("\n", source)]
    defined: dict[str, list[int]] = {}
    for match in _DEFINITION.finditer(source):
        defined.setdefault(match.group(1), []).append(bisect.bisect_right(starts, match.start()) - 1)
    wanted = {bisect.bisect_right(starts, m.start()) - 1 for m in _IMPORT.finditer(source)}
    names, seen, pieces = [qualname.split(".")[0]], set(), {}
    while names:
        name = names.pop()
        if name in seen:
            continue
        seen.add(name)
        for index in defined.get(name, ()):
            if index in pieces:
                continue
            piece = _parse_piece(source, starts[index], ends[index], newlines)
            if piece is None:
                return None
            pieces[index] = piece
            names += [called for node in ast.walk(piece) if isinstance(node, ast.Call)
                      for called in [(_dotted(node.func) or "").split(".")[0]] if called in defined]
    for index in wanted - pieces.keys():
        piece = _parse_piece(source, starts[index], ends[index], newlines)
        if piece is None:
            return None
        pieces[index] = piece
    return ast.Module(body=[stmt for index in sorted(pieces) for stmt in pieces[index].body], type_ignores=[])


def _parse_piece(source: str, start: int, end: int, newlines: list[int]) -> ast.Module | None:
    try:
        piece = ast.parse(source[start:end])
    except SyntaxError:
        return None
    ast.increment_lineno(piece, bisect.bisect_left(newlines, start))  # the lines before the piece
    return piece


def read_source(file: Path) -> str:
    return file.read_text(encoding="utf-8", errors="replace")


def find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def named by a dotted qualname ("Class.method", "outer.inner"), None when absent.

    Definitions inside module- or class-level `if`/`else`, `try`/`except`/`else`/`finally`
    and `with` blocks count (`try: from math import sumprod` / `except ImportError: def
    sumprod(...)`). When a name is defined more than once, the first definition that would
    be live wins: an `if` whose test reads only `sys.version_info`, `sys.platform` or
    `os.name` is decided for this interpreter (the one the backends run the code in);
    any other block is searched in source order, its body before its alternatives.
    """
    body: list[ast.stmt] = tree.body
    found: ast.AST | None = None
    for part in qualname.split("."):
        found = next(
            (node for node in _live_statements(body)
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == part),
            None,
        )
        if found is None:
            return None
        body = found.body  # type: ignore[attr-defined]
    return found if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _live_statements(body: list[ast.stmt]):
    """The statements of `body` with those of its conditional blocks spliced in, in the order above."""
    for node in body:
        if isinstance(node, ast.If):
            taken = _static_test(node.test)
            if taken is not False:
                yield from _live_statements(node.body)
            if taken is not True:
                yield from _live_statements(node.orelse)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            yield from _live_statements(node.body)
            for handler in node.handlers:
                yield from _live_statements(handler.body)
            yield from _live_statements(node.orelse)
            yield from _live_statements(node.finalbody)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            yield from _live_statements(node.body)
        else:
            yield node


# Names an `if` test may read and still be decided statically, as the running interpreter sees them.
_STATIC_NAMES = {"sys.version_info": sys.version_info, "sys.platform": sys.platform, "os.name": os.name}


def _static_test(test: ast.expr) -> bool | None:
    """The value of an `if` test built only from the names above and literals; None when unknown."""
    # A module may have thousands of `if sys.version_info ...` blocks, and each evaluation compiles.
    key = ast.dump(test)
    value = _STATIC_VALUES.get(key, _UNSEEN)
    if value is _UNSEEN:
        if len(_STATIC_VALUES) > 4096:
            _STATIC_VALUES.clear()
        value = _STATIC_VALUES[key] = _evaluate_static_test(test)
    return value  # type: ignore[return-value]


_UNSEEN = object()


_STATIC_VALUES: dict[str, bool | None] = {}


def _evaluate_static_test(test: ast.expr) -> bool | None:
    allowed = (ast.Expression, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Not, ast.And, ast.Or, ast.Constant,
               ast.Tuple, ast.Subscript, ast.Slice, ast.Load, ast.cmpop)
    names: dict[str, Any] = {}
    for node in ast.walk(test):
        if isinstance(node, (ast.Attribute, ast.Name)):
            dotted = _dotted(node) or ""
            known = next((name for name in _STATIC_NAMES if dotted == name or dotted.startswith(name + ".")), None)
            if known:
                names[known] = _STATIC_NAMES[known]
                continue
            if isinstance(node, ast.Name) and node.id in ("sys", "os"):
                continue  # the head of an allowed dotted name
            return None
        if not isinstance(node, allowed):
            return None
    if not names:
        return None
    scope = {"sys": _Namespace(version_info=_STATIC_NAMES["sys.version_info"], platform=_STATIC_NAMES["sys.platform"]),
             "os": _Namespace(name=_STATIC_NAMES["os.name"])}
    try:
        return bool(eval(compile(ast.Expression(test), "<if>", "eval"), {"__builtins__": {}}, scope))  # noqa: S307
    except Exception:
        return None


class _Namespace:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


# Calls that reach outside the process or depend on the clock or chance. Their results are
# not functions of the arguments, so a "difference" or a "crash" found with them says nothing
# about the code; such functions are unsupported. Matched on the dotted name as written.
_IMPURE_NAMES = {"open", "input", "exec", "eval", "breakpoint", "__import__"}
_IMPURE_MODULES = (
    "os", "io", "shutil", "subprocess", "socket", "ssl", "requests", "urllib", "http", "httpx",
    "aiohttp", "ftplib", "smtplib", "sqlite3", "tempfile", "glob", "pathlib", "time", "datetime",
    "random", "secrets", "uuid", "asyncio", "threading", "multiprocessing", "signal", "sys.stdin",
    "sys.stdout.write", "builtins.open", "logging.FileHandler",
)
_PURE_EXCEPTIONS = ("os.path.join", "os.path.basename", "os.path.dirname", "os.path.splitext",
                    "os.path.normpath", "os.path.split", "os.sep", "pathlib.PurePath", "pathlib.Path",
                    "datetime.timedelta", "datetime.date", "datetime.datetime", "datetime.time",
                    # In-memory streams: a string or bytes buffer, no file behind it.
                    "io.StringIO", "io.BytesIO")
_IMPURE_METHODS = {"read_text", "write_text", "read_bytes", "write_bytes", "unlink", "mkdir", "rmdir",
                   "touch", "iterdir", "rglob", "urlopen", "recv", "send", "sendall", "connect",
                   "now", "today", "utcnow", "sleep"}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _import_aliases(nodes) -> dict[str, str]:
    """Local name -> the dotted name it was imported as (`from os import remove` -> remove: os.remove)."""
    aliases: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[(alias.asname or alias.name).split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def side_effects(source: str, qualname: str) -> list[str]:
    """Calls of the function (and of the same module's functions it calls) that touch
    files, network, processes, clocks or randomness: "line 4: open(...)".

    A static scan on purpose: CrossHair only notices some of these (it patches the clock
    and lets reads through, and a missing file then looks like a crash).
    """
    key = (_content_key(source), qualname)
    found = _SIDE_EFFECTS.get(key)
    if found is None:  # the planner and every backend ask; on a large module the scan takes seconds
        if len(_SIDE_EFFECTS) > 256:
            _SIDE_EFFECTS.clear()
        found = _SIDE_EFFECTS[key] = _scan_side_effects(source, qualname)
    return list(found)


_SIDE_EFFECTS: dict[tuple[bytes, str], list[str]] = {}


def _scan_side_effects(source: str, qualname: str) -> list[str]:
    tree = parse_module(source, qualname)
    # The module's own imports (blocks included) and those inside the functions scanned below:
    # not a walk of the whole tree, which takes seconds on a very large module.
    aliases = _import_aliases(_live_statements(tree.body))
    local_defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in _live_statements(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local_defs.setdefault(node.name, node)
    start = find_function(tree, qualname)
    if start is None:
        return []
    found: list[str] = []
    seen: set[str] = set()
    todo: list[ast.AST] = [start]
    while todo:
        func = todo.pop()
        nodes = list(ast.walk(func))
        aliases.update(_import_aliases(nodes))
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func)
            if name is None:
                if isinstance(node.func, ast.Attribute) and node.func.attr in _IMPURE_METHODS:
                    found.append(f"line {node.lineno}: {ast.unparse(node.func)[:60]}(...)")
                continue
            head, _, rest = name.partition(".")
            resolved = aliases.get(head, head) + (f".{rest}" if rest else "")
            if resolved in _IMPURE_NAMES and head not in local_defs:
                found.append(f"line {node.lineno}: {name}(...)")
            elif any(resolved == m or resolved.startswith(m + ".") for m in _IMPURE_MODULES) and not any(
                resolved == p or resolved.startswith(p + ".") for p in _PURE_EXCEPTIONS
            ) and head in aliases:
                found.append(f"line {node.lineno}: {name}(...)")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in _IMPURE_METHODS:
                found.append(f"line {node.lineno}: {name}(...)")
            elif name in local_defs and name not in seen:
                seen.add(name)
                todo.append(local_defs[name])
    return sorted(set(found), key=lambda item: int(item.split(":")[0].split()[1]))


def impure_verdict(target: Target, backend: str, bound: int | None, bound_kind: str, source: str | None = None) -> "Verdict | None":
    """`unsupported` when the function (or its base version) touches the world, else None."""
    for label, text in (("", source if source is not None else read_source(target.file)),
                        ("the base version of ", target.base_source)):
        if text is None:
            continue
        try:
            impure = side_effects(text, target.function)
        except SyntaxError:
            continue
        if impure:
            return Verdict("unsupported", backend, bound, bound_kind, None, 0.0,
                           f"{label}{target.function} has side effects the verifiers cannot model ({'; '.join(impure[:3])}).")
    return None


# ---------------------------------------------------------------- killable subprocesses
# run_bounded and BoundedRun live in tools/verify/bounded_run.py (the sandbox of every child).


def replay_seconds(deadline: float, time_limit: float) -> float:
    """Wall-clock seconds for one CPython replay of a finding: a quarter of the backend's limit
    (at least 5 s), never past its deadline (half a second at the least, to say it ran out)."""
    return max(0.5, min(max(5.0, time_limit / 4), deadline - time.monotonic()))


def child_env(*paths: Path) -> dict[str, str]:
    """The environment for a child Python that imports the target: its import roots first."""
    env = {k: v for k, v in project_env().items() if k not in ("PYTHONSTARTUP", "PYTHONINSPECT")}
    # The project's packages, after everything else, when its Python is another environment (tools/testing/pyenv.py).
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in paths] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
                                        + verifier_path())
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing written into the user's tree
    env[BYTECODE_ENV] = str(_bytecode_dir())  # where `precompile` leaves large modules' code (counterexample.load_module)
    env["PYTHONHASHSEED"] = "0"
    return env


BYTECODE_ENV = "SUTURE_BYTECODE_DIR"
_BYTECODE_DIR: Path | None = None
_BYTECODE_LOCK = threading.Lock()
PRECOMPILE_MIN_BYTES = 256_000  # smaller modules compile faster than a child interpreter starts


def _bytecode_dir() -> Path:
    """This process's private code cache (removed at exit)."""
    global _BYTECODE_DIR
    with _BYTECODE_LOCK:
        if _BYTECODE_DIR is None:
            _BYTECODE_DIR = Path(tempfile.mkdtemp(prefix="suture-bytecode-"))
            atexit.register(shutil.rmtree, _BYTECODE_DIR, True)
        return _BYTECODE_DIR


def bytecode_name(data: bytes, path: str) -> str:
    """The cache file of a module's code: by content and path (the path is in the code objects)."""
    digest = hashlib.blake2b(data, digest_size=16)
    digest.update(path.encode("utf-8", "surrogatepass"))
    return f"{digest.hexdigest()}-{sys.implementation.cache_tag}.code"


def precompile(file: Path, time_limit: float) -> None:
    """Compile a large module once for every verifier child that imports it (CrossHair, the
    replays, Hypothesis) instead of once in each: its code object, marshalled into this
    process's private cache under the hash of its content, which the children load only
    while the file is byte for byte the same. Best effort: a failure or the time limit only
    means each child compiles the module itself."""
    try:
        if file.stat().st_size < PRECOMPILE_MIN_BYTES:
            return
        path = str(file.resolve())
        cached = _bytecode_dir() / bytecode_name(file.read_bytes(), path)
    except OSError:
        return
    if cached.is_file():
        return
    code = ("import marshal, os, sys; path, out = sys.argv[1], sys.argv[2]; "
            "data = open(path, 'rb').read(); code = compile(data, path, 'exec', dont_inherit=True); "
            "open(out + '.tmp', 'wb').write(marshal.dumps(code)); os.replace(out + '.tmp', out)")
    run_bounded([sys.executable, "-c", code, path, str(cached)], cwd=_bytecode_dir(), time_limit=time_limit,
                env=child_env())


