"""Behaviour outside the tests: one function at the base commit and in several patched versions,
run side by side on the same inputs, and where their results part.

The inputs are, in this order: the literal arguments the tests' own calls pass (labelled by
whether their test fails at the base commit), those with the compared code's own constants put
in (every version's literals and integer neighbours: a condition's boundary, such as a
`% 400`, is rarely hit at random), those mutated keeping their shape (same types,
same lengths), with the call's own values shared between positions (a second path to a graph's
node, a duplicate; tools/verify/behaviour_inputs.py) and shrunk or grown by one element, then, when
those are few, Hypothesis' draws
from the parameter types (tools/verify/hypothesis_backend.py's strategies, typed from the tests' calls by
tools/verify/arg_types.py). A function the tests pass (no literal) is stood in for by recording
callables where the code calls that parameter (tools/verify/stand_ins.py). Each version is also run on the examples the base's docstring gives
(tools/verify/doc_examples.py): the one oracle beyond the tests most code carries. Each version runs on deep copies; results are compared by
tools/verify/values.py's rule ("isclose" for floats: a reordered sum is not a behaviour change),
exception types and the arguments after the call. A call past the per-call limit is cut and
counts as "hangs".

Each input also gets a *likeness*: the base version's path (the lines of its file it ran) and
the input's shape (type and length of each argument) are held against those of the tests'
calls; an input whose path and shape only passing tests' calls share is "like the passing
tests", only failing ones' "like the failing tests" (PATCH-SIM's test classification, Xiong et
al., ICSE 2018). A repair should change results where the failing tests live.

The child runs as `python -m suture.tools.verify.behaviour` through verifier_core's killable,
memory-capped `run_bounded`, and writes one JSON line per input as it goes, so a child killed at
the wall-clock limit still leaves what it compared. Nothing is written anywhere but temp files.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.retrieval.files import decode_source, encode_source
from suture.tools.verify.verifier_core import BYTECODE_ENV, child_env, import_root, module_name, run_bounded, side_effects

__all__ = ["BehaviourRun", "InputResult", "PER_CALL_SECONDS", "compare_versions"]

PER_CALL_SECONDS = 0.5  # one call of one version; past it the call "hangs"
MAX_INPUTS = 240  # inputs compared per function (recorded, mutated and generated together)
CHILD_GRACE_SECONDS = 3.0  # interpreter start and imports, beyond the comparison's own budget


@dataclass
class InputResult:
    """One input: the call as text, its likeness, each version's result and which versions agree."""

    call: str
    like: str  # "failing" | "passing" | "both" | "novel" (see the module docstring)
    outcomes: dict[str, str]  # version id ("base" included) -> "returns 2", "raises ValueError", "hangs"
    groups: list[list[str]]  # versions with the same result, one list per distinct result
    unknown: dict[str, str] = field(default_factory=dict)  # version -> why its result cannot be compared
    loose: list[str] = field(default_factory=list)  # versions whose result differs from the base's in type only (2.0 for 2)
    seed: bool = False  # one of the tests' own calls (the gates ran it already), not an input beyond them
    key: str = ""  # its (path, shape) key's name: inputs with the same key are alike (the likeness above)
    label: str = ""  # a seed's test: "failing" | "passing" at the base commit ("" for any other input)
    # A twin of a recorded object with one field changed (behaviour_inputs.fields_mutated): it may show a
    # change, but it is no input beyond the tests' own (a wrong `return self._schema` for `str(...)` and the
    # right one agree with each other on every twin whose field keeps its type).
    twin: bool = False

    def same(self, a: str, b: str) -> bool | None:
        """Do versions a and b give the same result here? None when that cannot be told."""
        if a in self.unknown or b in self.unknown or a not in self.outcomes or b not in self.outcomes:
            return None
        return any(a in group and b in group for group in self.groups)


@dataclass
class BehaviourRun:
    """What one comparison established: the inputs compared, or why nothing could be."""

    inputs: list[InputResult]
    unknown: str = ""  # why no version could be compared at all ("" when some inputs ran)
    version_unknown: dict[str, str] = field(default_factory=dict)  # a version that could not run, and why
    classified: bool = False  # the tests' calls gave both failing and passing paths to tell likeness by
    # The base's docstring examples (tools/verify/doc_examples.py), each version run on them:
    # {"call", "expected", "outcomes": {version: "returns ..."}, "holds": {version: bool}}.
    doc: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def compare_versions(root: Path, path: str, qualname: str, versions: dict[str, str], *,
                     seeds: list[dict[str, Any]] = (), param_types: dict[str, str] | None = None,
                     time_limit: float = 6.0, per_call: float = PER_CALL_SECONDS,
                     max_inputs: int = MAX_INPUTS, receivers: list[dict[str, str]] = (),
                     companions: dict[str, dict[str, str]] | None = None) -> BehaviourRun:
    """Compare `qualname` of `root/path` (the base version, importable from `root`) with each of
    `versions` (id -> the whole file's text with the version's change).

    `seeds` are the tests' calls: {"args": [repr, ...], "kwargs": {name: repr}, "label":
    "failing" | "passing" | ""}. `receivers` are a method's recorded calls, `self` included
    ({"pickle": base64 of (args, kwargs), "label": ...}, tools/verify/receivers.py). `companions`
    are, per version, its other changed files (root-relative path -> text): they are imported in
    place of the base ones while the version loads, so that a caller sees the version's change to
    a function in another module (`from shop.rates import convert`). Never raises for bad code: a version that cannot be compared
    says so in `version_unknown`, a function that cannot be compared at all in `unknown`.
    """
    started = time.monotonic()
    file = (root / path)
    try:  # in the file's own encoding (a latin-1 module is compared like any other), written back in it
        base_text = decode_source(file.read_bytes(), path)
    except (OSError, LookupError, UnicodeDecodeError) as error:
        return BehaviourRun([], unknown=f"the file cannot be read: {error}")
    reason = _static_unknown(base_text, versions, qualname)
    if reason:
        return BehaviourRun([], unknown=reason)
    top = import_root(file)
    request = {"root": str(top), "module": module_name(file.resolve().relative_to(top).as_posix()),
               "function": qualname, "seeds": list(seeds), "param_types": param_types or {},
               "per_call": per_call, "seconds": time_limit, "max_inputs": max_inputs,
               "receivers": list(receivers)}
    with tempfile.TemporaryDirectory(prefix="suture-behaviour-") as tmp:
        request["versions"] = {}
        for number, (vid, text) in enumerate(versions.items()):
            copy = Path(tmp, f"v{number}", file.name)
            copy.parent.mkdir()
            copy.write_bytes(encode_source(text, path))
            request["versions"][vid] = str(copy)
            for other, other_text in (companions or {}).get(vid, {}).items():
                place = copy.parent / "companions" / other
                place.parent.mkdir(parents=True, exist_ok=True)
                place.write_bytes(encode_source(other_text, other))
                name = module_name((root / other).resolve().relative_to(top).as_posix())
                request.setdefault("companions", {}).setdefault(vid, {})[name] = str(place)
        env = child_env(top)
        # Hypothesis keeps its unicode tables (seconds to build) in its storage directory: the
        # process's private cache (verifier_core), not each child's temporary directory.
        env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(Path(env[BYTECODE_ENV]) / "hypothesis")
        done = run_bounded([sys.executable, "-m", "suture.tools.verify.behaviour"], cwd=Path(tmp),
                           time_limit=time_limit + CHILD_GRACE_SECONDS, env=env, stdin=json.dumps(request))
    run = _read_lines(done.stdout)
    run.seconds = time.monotonic() - started
    if done.timed_out:
        run.notes.append(f"cut at the {time_limit + CHILD_GRACE_SECONDS:g} s limit after {len(run.inputs)} inputs")
    if not run.inputs and not run.unknown:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        run.unknown = "no input could be compared" + (" before the time limit" if done.timed_out else f": {tail[0]}")
    return run


def _static_unknown(base_text: str, versions: dict[str, str], qualname: str) -> str:
    """Why the function cannot be compared by running it, read off its text ("" when it can)."""
    for label, text in [("", base_text), *((f"{vid}'s version of ", t) for vid, t in versions.items())]:
        try:
            impure = side_effects(text, qualname)
        except SyntaxError:
            continue
        if impure:
            return (f"{label}{qualname} touches files, the clock, randomness or other processes "
                    f"({'; '.join(impure[:2])}); its results are not a function of its arguments")
    return ""


def _read_lines(stdout: str) -> BehaviourRun:
    run = BehaviourRun([])
    for line in stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        kind = item.get("kind")
        if kind == "setup":
            run.unknown = item.get("unknown", "")
            run.version_unknown = dict(item.get("version_unknown", {}))
            run.classified = bool(item.get("classified"))
            run.notes += list(item.get("notes", []))
        elif kind == "input":
            run.inputs.append(InputResult(item["call"], item["like"], item["outcomes"], item["groups"],
                                          item.get("unknown", {}), item.get("loose", []), bool(item.get("seed")),
                                          str(item.get("key", "")), str(item.get("label", "")), bool(item.get("twin"))))
        elif kind == "doc":
            run.doc.append({k: item.get(k) for k in ("call", "expected", "outcomes", "holds")})
        elif kind == "done":
            run.notes += list(item.get("notes", []))
    return run


# ====================================================================== child side


def _child_main() -> None:
    request = json.loads(sys.stdin.read())
    out = sys.stdout
    sys.stdout = sys.stderr  # the functions' prints must not corrupt our JSON lines

    def emit(item: dict[str, Any]) -> None:
        out.write(json.dumps(item) + "\n")
        out.flush()

    try:
        from suture.tools.verify.behaviour_child import run_comparison

        run_comparison(request, emit)
    except BaseException as exc:  # importing a version failed in a way the runner did not catch
        emit({"kind": "setup", "unknown": f"the comparison could not start: {exc.__class__.__name__}: {exc}"})


if __name__ == "__main__":
    _child_main()
