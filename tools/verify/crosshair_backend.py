"""CrossHair (symbolic execution of Python on Z3) as a verifier backend.

`check` runs `crosshair check` on one function: its asserts, PEP 316 docstring
contracts and icontract/deal decorators when it has any; otherwise on a probe
that wraps it with a trivial postcondition, so that any exception the function
does not document (`raises:`, a docstring's Raises section, its own `raise`
statements) is a finding: a crash. `diffbehavior` runs `crosshair diffbehavior`
between the base and the current version of the function.

Both run the CLI in a killable subprocess with CrossHair's own limits
(--max_uninteresting_iterations as the bound, --per_condition_timeout and
--per_path_timeout from the time limit) and parse its text output: CrossHair
0.0.112 has no JSON output. Every finding is replayed in CPython before it counts.
"""

from __future__ import annotations

import ast
import copy
import re
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from suture.tools.verify.counterexample import replay
from suture.tools.verify.verifier_core import (
    Counterexample, Target, Verdict, child_env, find_function, impure_verdict, import_root, module_name, parse_module,
    read_source, replay_seconds, run_bounded,
)

__all__ = ["DEFAULT_BOUND", "check", "diffbehavior", "parse_check_output", "parse_diffbehavior_output"]

DEFAULT_BOUND = 20  # --max_uninteresting_iterations: iterations in a row without new coverage before stopping
BOUND_KIND = "max_uninteresting_iterations"
RUN_SHARE = 0.85  # of the time limit for the CrossHair run; the rest replays its findings
# ...but at least this long is left for a replay: a fresh CPython that imports the module takes 0.2-0.4 s
# idle and several times that on a loaded machine, and 15% of check's 4 s per function was 0.6 s.
REPLAY_FLOOR = 1.0
PROBE = "suture_probe"
SHIM = "suture_crosshair_shim"

_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<level>error|info|warning): (?P<text>.*)$")
_ITERATIONS = re.compile(r"attempted (\d+) iterations")


def _crosshair() -> list[str]:
    return [sys.executable, "-m", "crosshair"]


def _limits(bound: int, time_limit: float) -> list[str]:
    # CPU-second limits inside CrossHair, well under our wall-clock kill so it reports what it found.
    per_condition = max(1.0, time_limit * 0.6)
    return ["--max_uninteresting_iterations", str(bound),
            "--per_condition_timeout", f"{per_condition:.1f}",
            "--per_path_timeout", f"{min(2.0, max(0.5, per_condition / 4)):.1f}"]


# ---------------------------------------------------------------- contracts


def _has_contracts(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    doc = ast.get_docstring(func) or ""
    if re.search(r"^\s*(pre|post)(\[[^\]]*\])?\s*:", doc, re.M):
        return True
    decorators = [ast.unparse(d) for d in func.decorator_list]
    if any(d.startswith(("icontract.", "deal.", "require(", "ensure(", "pre(", "post(")) for d in decorators):
        return True
    body = func.body[1:] if ast.get_docstring(func) is not None else func.body
    return bool(body) and isinstance(body[0], ast.Assert)


def _probe_source(root: str, module: str, qualname: str, func: ast.FunctionDef | ast.AsyncFunctionDef,
                  raises: list[str], param_types: dict[str, str] | None = None) -> str:
    """A module whose `suture_probe` has the target's signature, a trivial postcondition and
    the target's documented exceptions: CrossHair then reports every other exception.
    Unannotated parameters take `param_types` (the types the tests pass) as annotations."""
    args = copy.deepcopy(func.args)  # the tree may be shared (verifier.parse_module caches it)
    for arg in args.posonlyargs + args.args + args.kwonlyargs:
        if arg.annotation is None and arg.arg in (param_types or {}):
            arg.annotation = ast.parse(param_types[arg.arg], mode="eval").body
    if "." in qualname and args.posonlyargs + args.args and not any(
        isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list
    ):
        first = (args.posonlyargs + args.args)[0]
        if first.annotation is None and first.arg == "self":
            first.annotation = ast.Name(qualname.rsplit(".", 1)[0])
    call = [a.arg for a in args.posonlyargs]
    if args.vararg:  # the extra positionals follow, so the named ones must stay positional
        call += [a.arg for a in args.args] + [f"*{args.vararg.arg}"]
    else:
        call += [f"{a.arg}={a.arg}" for a in args.args]
    call += [f"{a.arg}={a.arg}" for a in args.kwonlyargs]
    if args.kwarg:
        call.append(f"**{args.kwarg.arg}")
    returns = f" -> {ast.unparse(func.returns)}" if func.returns is not None else ""
    doc = ["    post: True"] + ([f"    raises: {', '.join(raises)}"] if raises else [])
    return "\n".join([
        "from suture.tools.verify.counterexample import load_module",
        f"_suture_target = load_module({root!r}, {module!r})",
        'globals().update({k: v for k, v in vars(_suture_target).items() if not k.startswith("__")})',
        "",
        "",
        f"def {PROBE}({ast.unparse(args)}){returns}:",
        '    """',
        *doc,
        '    """',
        f"    return _suture_target.{qualname}({', '.join(call)})",
        "",
    ])


def _typed_entry_source(root: str, module: str, qualname: str, param_types: dict[str, str]) -> str:
    """A module whose `suture_probe` is the target function itself, its unannotated parameters
    annotated with `param_types` (in this child process only: the file is not changed)."""
    return "\n".join([
        "import builtins",
        "",
        "from suture.tools.verify.counterexample import load_module, resolve",
        "",
        f"_suture_target = load_module({root!r}, {module!r})",
        f"{PROBE} = resolve(_suture_target, {qualname!r})",
        f"for _name, _text in {dict(param_types)!r}.items():",
        "    try:",
        f"        {PROBE}.__annotations__.setdefault(_name, eval(_text, {{'__builtins__': builtins}}))",
        "    except Exception:",
        "        pass",
        "",
    ])


def _documented_raises(source: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names: list[str] = []
    doc = ast.get_docstring(func) or ""
    for chunk in re.findall(r"^\s*raises\s*:\s*(.+)$", doc, re.M | re.I):
        names += [n.strip() for n in chunk.split(",")]
    names += re.findall(r":raises\s+([\w.]+)\s*:", doc)
    names += re.findall(r"^\s{2,}([A-Z]\w*(?:Error|Exception|Warning))\s*:", doc, re.M)
    for node in ast.walk(func):
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, (ast.Name, ast.Attribute)):
                names.append(ast.unparse(raised))
    return sorted({n for n in names if re.fullmatch(r"[A-Za-z_][\w.]*", n)})


def parse_check_output(stdout: str) -> list[dict[str, str]]:
    """CrossHair check's `<file>:<line>: <level>: <message>` lines as dicts (other lines skipped)."""
    found = []
    for raw in stdout.splitlines():
        match = _LINE.match(raw.strip())
        if match:
            found.append(match.groupdict())
    return found


def invocation_inputs(message: str, name: str, params: list[str]) -> dict[str, str] | None:
    """The arguments of "... when calling name(1, b=[2]) (which returns 3)" as {param: source}.

    The call is found by parsing, not by pattern: the first prefix after "when calling"
    that parses as a call of `name` is it, so brackets inside string reprs do not confuse it.
    """
    start = message.find(f"when calling {name}(")
    if start < 0:
        return None
    text = message[start + len("when calling "):]
    for end in [i + 1 for i, ch in enumerate(text) if ch == ")"]:
        try:
            node = ast.parse(text[:end], mode="eval").body
        except SyntaxError:
            continue
        if not isinstance(node, ast.Call):
            continue
        return _bind(node, params, text[:end])
    return None


def _bind(call: ast.Call, params: list[str], source: str) -> dict[str, str]:
    inputs: dict[str, str] = {}
    positional = [p for p in params if not p.startswith("*")]
    star = next((p for p in params if p.startswith("*") and not p.startswith("**")), None)
    extra: list[str] = []
    for index, arg in enumerate(call.args):
        segment = ast.get_source_segment(source, arg) or ast.unparse(arg)
        if index < len(positional):
            inputs[positional[index]] = segment
        else:
            extra.append(segment)
    if star:
        inputs[star] = "(" + ", ".join(extra) + ("," if len(extra) == 1 else "") + ")"
    for keyword in call.keywords:
        segment = ast.get_source_segment(source, keyword.value) or ast.unparse(keyword.value)
        if keyword.arg is not None:
            inputs[keyword.arg] = segment
    return inputs


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef, *, skip_self: bool = False) -> list[str]:
    args = func.args
    names = [a.arg for a in args.posonlyargs + args.args]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return names[1:] if skip_self and names else names


def _untyped(func: ast.FunctionDef | ast.AsyncFunctionDef, param_types: dict[str, str] | None, *,
             method: bool) -> list[str]:
    """Parameters CrossHair can only treat as plain objects: no annotation, no type from the tests.

    Over those, "every path explored" is not every input a caller passes (CrossHair declared two
    versions that differ on dicts equivalent, having drawn no dicts), so it is never `exhausted`.
    """
    args = func.args
    named = args.posonlyargs + args.args + args.kwonlyargs
    if method and named and named[0].arg in ("self", "cls"):
        named = named[1:]
    return [a.arg for a in named if a.annotation is None and a.arg not in (param_types or {})]


def check(target: Target, *, bound: int | None = None, time_limit: float = 20.0) -> Verdict:
    """Contracts and crashes of `target.function` within CrossHair's bound."""
    started = time.monotonic()
    bound = bound or DEFAULT_BOUND
    deadline = started + time_limit
    source = read_source(target.file)
    func = find_function(parse_module(source, target.function), target.function)
    if func is None:
        return Verdict("error", "crosshair", bound, BOUND_KIND, None, 0.0, f"{target.path} defines no function {target.function}.")
    impure = impure_verdict(target, "crosshair", bound, BOUND_KIND, source)
    if impure:
        return impure
    root = import_root(target.file)
    module = module_name(target.file.resolve().relative_to(root).as_posix())
    direct = _has_contracts(func)
    types = dict(target.param_types or {})  # tools/verify/arg_types.py: for unannotated parameters only
    with tempfile.TemporaryDirectory(prefix="suture-crosshair-") as tmp:
        if direct and "." not in target.function:
            # The function itself (its contracts), seen with the tests' types as annotations.
            Path(tmp, f"{SHIM}.py").write_text(_typed_entry_source(str(root), module, target.function, types))
            entry, name = f"{SHIM}.{PROBE}", func.name
        elif direct:
            entry, name = f"{module}.{target.function}", func.name
        else:
            Path(tmp, f"{SHIM}.py").write_text(
                _probe_source(str(root), module, target.function, func, _documented_raises(source, func), types))
            entry, name = f"{SHIM}.{PROBE}", PROBE
        argv = [*_crosshair(), "check", "--analysis_kind", "asserts,PEP316,icontract,deal", "--report_all",
                *_limits(bound, time_limit), entry]
        # The rest of the limit is for replaying what it finds.
        done = run_bounded(argv, cwd=Path(tmp), time_limit=_run_seconds(time_limit), env=child_env(Path(tmp), root))
    lines = parse_check_output(done.stdout)
    errors = [line for line in lines if line["level"] == "error"]
    seconds = lambda: time.monotonic() - started  # noqa: E731
    what = _what_was_checked(direct, types)
    if any("SideEffectDetected" in e["text"] for e in errors):
        text = next(e["text"] for e in errors if "SideEffectDetected" in e["text"])
        return Verdict("unsupported", "crosshair", bound, BOUND_KIND, None, seconds(),
                       f"CrossHair stopped at a side effect: {text.split(' when calling')[0]}")
    if _crashed(done) and not errors:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [f"exit {done.returncode}"]
        return Verdict("error", "crosshair", bound, BOUND_KIND, None, seconds(), f"crosshair check failed: {tail[0]}")
    params = _params(func, skip_self=False)
    artefacts: list[str] = []
    undecided: list[str] = []  # findings whose replay ran out of time: neither confirmed nor ruled out
    for error in errors:
        inputs = invocation_inputs(error["text"], name, params)
        if inputs is None:
            # Not a counterexample with inputs (e.g. a contract that does not parse): CrossHair's own complaint.
            if "when calling" not in error["text"]:
                return Verdict("error", "crosshair", bound, BOUND_KIND, None, seconds(),
                               f"{_rel(error['file'], target.root)}:{error['line']}: {error['text']}")
            artefacts.append(f"crosshair: {error['text']} (inputs could not be read)")
            continue
        result = replay(target, inputs, kind="contracts", time_limit=replay_seconds(deadline, time_limit))
        if result.reproduced:
            cx = Counterexample(inputs, result.message, result.location or f"{_rel(error['file'], target.root)}:{error['line']}", True)
            return Verdict("counterexample", "crosshair", bound, BOUND_KIND, None, seconds(),
                           f"{what}: {result.message}", cx, artefacts)
        artefacts.append(f"crosshair: {error['text']} -> {result.status}: {result.message}")
        if result.status == "timed_out":
            undecided.append(f"{error['text']}, but {result.message}")
    if undecided:
        return _undecided(what, undecided, bound, None, seconds(), artefacts)
    confirmed = [line for line in lines if line["level"] == "info" and "Confirmed over all paths" in line["text"]]
    infos = [line for line in lines if line["level"] == "info"]
    if done.timed_out:
        return Verdict("no_counterexample_within_bound", "crosshair", bound, BOUND_KIND, None, seconds(),
                       f"{what}: nothing found before the {time_limit:g} s limit", artefacts=artefacts)
    untyped = _untyped(func, target.param_types, method="." in target.function)
    if confirmed and len(confirmed) == len(infos) and not artefacts and not untyped:
        return Verdict("exhausted", "crosshair", bound, BOUND_KIND, None, seconds(),
                       f"{what}: CrossHair explored every path (within its symbolic model)")
    if confirmed and len(confirmed) == len(infos) and not artefacts:
        return Verdict("no_counterexample_within_bound", "crosshair", bound, BOUND_KIND, None, seconds(),
                       f"{what}: every path explored, but {', '.join(untyped)} only as plain objects (no type known)")
    return Verdict("no_counterexample_within_bound", "crosshair", bound, BOUND_KIND, None, seconds(),
                   f"{what}: no reproducible counterexample" + (" (CrossHair's findings did not reproduce)" if artefacts else ""),
                   artefacts=artefacts)


def _what_was_checked(direct: bool, types: dict[str, str]) -> str:
    what = "contracts" if direct else "crashes (no contracts: undocumented exceptions)"
    if types:
        what += f" with the types the tests pass ({', '.join(f'{k}: {v}' for k, v in types.items())})"
    return what


def _run_seconds(time_limit: float) -> float:
    """The CrossHair run's share of the limit; the rest replays what it finds."""
    return time_limit - max((1 - RUN_SHARE) * time_limit, min(REPLAY_FLOOR, time_limit / 4))


def _undecided(what: str, findings: list[str], bound: int, iterations: int | None, seconds: float,
               artefacts: list[str]) -> Verdict:
    """CrossHair reported something CPython could not replay to the end (the replay ran past its limit):
    neither a counterexample nor its absence, so not "no counterexample" either."""
    return Verdict("error", "crosshair", bound, BOUND_KIND, iterations, seconds,
                   f"{what}: undecided: CrossHair reported {findings[0]}"
                   + (f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""), artefacts=artefacts)


def _crashed(done) -> bool:
    """CrossHair itself failed: exit 2, or exit 1 with a traceback (its own bug, e.g. a solver it does not support)."""
    return done.returncode == 2 or (done.returncode == 1 and "Traceback (most recent call last)" in done.stderr)


def _rel(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


# ---------------------------------------------------------------- equivalence


def parse_diffbehavior_output(stdout: str) -> tuple[list[str], int | None, bool]:
    """(the "Given: (...)" argument lists of each difference, iterations attempted, all paths exhausted)."""
    givens = [m.group(1) for m in re.finditer(r"^Given: \((.*)\),\s*$", stdout, re.M)]
    iterations = _ITERATIONS.search(stdout)
    return givens, int(iterations.group(1)) if iterations else None, "All paths exhausted" in stdout


def diffbehavior(target: Target, *, bound: int | None = None, time_limit: float = 20.0, float_policy: str = "exact") -> Verdict:
    """Differences between `target.base_source` and the current function, within CrossHair's bound."""
    started = time.monotonic()
    bound = bound or DEFAULT_BOUND
    root = import_root(target.file)
    module = module_name(target.file.resolve().relative_to(root).as_posix())
    deadline = started + time_limit
    func = find_function(parse_module(read_source(target.file), target.function), target.function)
    if func is None:
        return Verdict("error", "crosshair", bound, BOUND_KIND, None, 0.0, f"{target.path} defines no function {target.function}.")
    impure = impure_verdict(target, "crosshair", bound, BOUND_KIND)
    if impure:
        return impure
    if "." in target.function:
        return Verdict("unsupported", "crosshair", bound, BOUND_KIND, None, 0.0,
                       "CrossHair diffbehavior compares plain functions; methods are left to the other backends.")
    with tempfile.TemporaryDirectory(prefix="suture-crosshair-") as tmp:
        base_file = Path(tmp, "base", target.file.name)
        base_file.parent.mkdir()
        base_file.write_text(target.base_source or "", encoding="utf-8")
        Path(tmp, f"{SHIM}.py").write_text(textwrap.dedent(f"""\
            from suture.tools.verify.counterexample import load_base_module, load_module, resolve, typed_view

            types = {dict(target.param_types or {})!r}
            candidate = typed_view(resolve(load_module({str(root)!r}, {module!r}), {target.function!r}), types)
            base = typed_view(resolve(load_base_module({module!r}, {str(base_file)!r}), {target.function!r}), types)
            """))
        argv = [*_crosshair(), "diffbehavior", "--exception_equivalence", "SAME_TYPE", *_limits(bound, time_limit),
                f"{SHIM}.base", f"{SHIM}.candidate"]
        done = run_bounded(argv, cwd=Path(tmp), time_limit=_run_seconds(time_limit), env=child_env(Path(tmp), root))
    givens, iterations, exhausted = parse_diffbehavior_output(done.stdout)
    seconds = lambda: time.monotonic() - started  # noqa: E731
    if "SideEffectDetected" in done.stdout + done.stderr:
        return Verdict("unsupported", "crosshair", bound, BOUND_KIND, iterations, seconds(),
                       "CrossHair stopped at a side effect of the function.")
    if _crashed(done) and not givens:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [f"exit {done.returncode}"]
        return Verdict("error", "crosshair", bound, BOUND_KIND, iterations, seconds(), f"crosshair diffbehavior failed: {tail[0]}")
    params = _params(func)
    artefacts: list[str] = []
    undecided: list[str] = []
    for given in givens:
        inputs = invocation_inputs(f"when calling f({given})", "f", params)
        if inputs is None:
            artefacts.append(f"crosshair: difference on ({given}) whose inputs could not be read")
            continue
        result = replay(target, inputs, kind="equivalence", float_policy=float_policy,
                        time_limit=replay_seconds(deadline, time_limit))
        if result.reproduced:
            cx = Counterexample(inputs, result.message, result.location, True, result.expected, result.actual)
            return Verdict("counterexample", "crosshair", bound, BOUND_KIND, iterations, seconds(),
                           f"the versions differ: {result.message}", cx, artefacts)
        artefacts.append(f"crosshair: difference on ({given}) -> {result.status}: {result.message}")
        if result.status == "timed_out":
            undecided.append(f"a difference on ({given}), but {result.message}")
    if undecided:
        return _undecided("the versions", undecided, bound, iterations, seconds(), artefacts)
    untyped = _untyped(func, target.param_types, method=False)
    if exhausted and not done.timed_out and not artefacts and not untyped:
        return Verdict("exhausted", "crosshair", bound, BOUND_KIND, iterations, seconds(),
                       "CrossHair explored every path of both versions (within its symbolic model) and found no difference")
    if exhausted and not done.timed_out and not artefacts:
        return Verdict("no_counterexample_within_bound", "crosshair", bound, BOUND_KIND, iterations, seconds(),
                       f"no difference on any path CrossHair explored, but {', '.join(untyped)} only as plain objects "
                       "(no type known)")
    why = f"nothing found before the {time_limit:g} s limit" if done.timed_out else "no reproducible difference"
    return Verdict("no_counterexample_within_bound", "crosshair", bound, BOUND_KIND, iterations, seconds(), why, artefacts=artefacts)
