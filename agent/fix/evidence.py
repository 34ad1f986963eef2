"""Behaviour outside the tests, as evidence for choosing among the patches that pass every gate.

Passing the tests says little when the tests are few: an early `return sum(values) / len(values)`
passes every test of an upper-median bug and is wrong for `median([1, 2, 10])`. So every
distinct passing candidate's changed functions are run against the base commit's and against
each other (tools/verify/behaviour.py) on the tests' own arguments, their mutations and
Hypothesis' draws. Two things come of it, per candidate:

- its *change footprint*: on how many inputs it changes HEAD's result, and how many of those
  are like the passing tests rather than the failing ones. A repair changes behaviour where the
  failing tests live and keeps it elsewhere (PATCH-SIM, Xiong et al., ICSE 2018).
- its *disagreements* with rival passing candidates: an input on which two patches that both
  pass give different results is a question the tests do not decide.

Each version also runs on the examples its docstring gives (`0.125 -> 0.13`, doctest lines): a
candidate whose result contradicts one has not repaired what the function says it does, whatever
the tests say; that caps it like an anti-pattern, and it loses to a rival that keeps them.

agent/fix/choose.py then prefers the smallest behaviour change, and the chosen patch's confidence
is capped below the delivery threshold (reported `plausible`, never applied) when it changes
results like the passing tests' or an unresolved disagreement with a credible rival remains; a
credible rival that could not be compared with it counts as unresolved too (unknown is never
agreement).
Evidence that cannot be had (side effects, methods, results that do not compare, no argument
to build) is "unknown" with the reason: it neither helps nor counts as agreement.
`SUTURE_EVIDENCE=off` skips the whole stage (for measuring what it costs).

Over 600 lines as one concept: gathering the comparison's results per candidate and weighing them into the
order and the confidence read as one rule; the comparison itself lives in tools/verify/behaviour*.py.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent.fix.conventions import completed_convention
from suture.agent.fix.protocols import breaks_protocol
from suture.agent.fix.select import CONFIDENCE_THRESHOLD, Confidence
from suture.agent.gates.validate import GateVerdict
from suture.agent.propose.simplify import simplify_added
from suture.retrieval.files import decode_source
from suture.tools.git.diffs import PatchError, apply_patch
from suture.tools.verify.arg_types import annotations_for, collect_calls, is_known
from suture.tools.verify.behaviour import BehaviourRun, compare_versions
from suture.tools.verify.receivers import NO_OBJECT, record_receivers
from suture.tools.verify.stand_ins import MARKER
from suture.tools.verify.verifier_core import child_env, import_root, module_name

__all__ = ["Evidence", "cap_confidence", "disagreement_hint", "enabled", "gather_evidence", "order_by_evidence",
           "vouches"]

EVIDENCE_SECONDS = 10.0  # the comparison of every changed function, all candidates together, at most
EVIDENCE_SHARE = 0.12  # ... and at most this share of the run's time so far (its set-up comes on top), but
MIN_SECONDS = 1.5  # at least this (below it nothing useful is compared: the stage says "not_run")
MAX_FUNCTIONS = 3  # changed functions compared (the first ones the candidates name)
RECORD_SECONDS = 20.0  # the tests' run that records a method's objects, at most (about 1 s on an idle machine)
MAX_CANDIDATES = 8  # distinct passing candidates compared; the rest are "not_run"
# Changed results on inputs like the passing tests before the footprint counts against a patch:
# one odd input (a NaN, a huge int) is not a pattern.
MIN_OUTSIDE = 2
CAPPED_CONFIDENCE = CONFIDENCE_THRESHOLD - 0.05
# Inputs beyond the tests' own calls the chosen patch must have been compared with HEAD on before the
# comparison speaks for a patch that fewer than two tests run (`vouches`).
MIN_BEYOND = 3
ENV_SWITCH = "SUTURE_EVIDENCE"
NOT_COMPARED_RANK = "more passing candidates than compared"
NO_TIME = "no time left in the run's limit"
# Template risks that name what a swapped operator does (`and` -> `or` weakens a condition), not code
# taken away. A rival carrying only these, no larger than the chosen patch, is judged by its behaviour:
# seen to disagree, it is an alternative the tests do not rule out (bench/bugs leap_years: the right
# patch, `and` -> `or`, carries it; the wrong `== 0` -> `!= 0` does not). Deleting code or a check
# (`deletes_code`, `removes_check`) is the classic overfitting edit and still discounts a rival.
OPERATOR_RISKS = frozenset({"weakens_condition"})
# Verifier verdicts that stand in for a comparison that could not be had (a lone patch with unknown evidence).
PROOFS = frozenset({"exhausted"})
# How a comparison that never ran the code says so (tools/verify/behaviour.py and its child): an import the
# child cannot resolve (a src layout importing a sibling package) says nothing about the patch, so it does
# not cap a lone patch (tests/test_cli_fix.py's layouts run: `vendor.lib` beside `src/calc`).
NOT_LOADED = ("the base version does not load", "the comparison could not start", "no input could be compared")


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in ("off", "0", "no", "false")


def planned_seconds(spent: float) -> float:
    """The comparison's share once `spent` seconds of the run have gone (its set-up comes on top):
    what the search must leave it (agent/fix/pipeline.py)."""
    return min(EVIDENCE_SECONDS, max(MIN_SECONDS, EVIDENCE_SHARE * spent))


@dataclass
class Disagreement:
    other: str  # the rival candidate's id
    call: str  # the smallest input found, as a call ("median([1, 2, 10])")
    mine: str  # this candidate's result there ("returns 2")
    theirs: str  # the rival's
    inputs: int  # how many inputs they disagree on
    base: str = ""  # HEAD's result on `call`
    # On every input they disagree on outside the failing tests' (inputs like those are where the
    # repair lives), this candidate gives HEAD's result and the rival does not: the rival's change is
    # the larger one. `inputs` then counts those inputs only.
    # (Where HEAD raises an exception of the function's domain, raising the same one counts as keeping it.)
    keeps_head: bool = False
    # What it did to the chosen patch's confidence (cap_confidence): "unresolved" (it caps: the input
    # the user should decide), "decided" (the chosen patch keeps HEAD's result there), "discounted"
    # (the rival is no credible alternative); "" when not weighed.
    weighed: str = ""
    # On every input they disagree on, the rival's result breaks the contract Python's data model gives the
    # special method (agent/fix/protocols.py: `__eq__` -> timedelta(0)) and this candidate's keeps it: why.
    rival_breaks: str = ""

    def sentence(self, mine_id: str) -> str:
        return f"{mine_id} and {self.other} disagree on `{self.call}`: {_bare(self.mine)} vs {_bare(self.theirs)}"

    def kept_sentence(self, mine_id: str) -> str:
        return (f"{mine_id} and {self.other} disagree on {self.inputs} input(s) unlike the failing tests', "
                f"e.g. `{self.call}`: {mine_id} keeps HEAD's {self._kept()}, {self.other} changes it "
                f"to {_bare(self.theirs)}; the smaller behaviour change is chosen")

    def _kept(self) -> str:
        if self.mine == self.base or not self.base.startswith("raises "):
            return f"result ({_bare(self.base)})"
        return f"exception ({self.base.split(',', 1)[0]})"


@dataclass
class Evidence:
    """What running one candidate outside the tests showed (see the module docstring)."""

    candidate_id: str
    status: str = "unknown"  # "known" | "unknown" | "not_run"
    reason: str = ""  # why unknown or not run
    functions: list[str] = field(default_factory=list)  # "path::qualname" compared
    inputs: int = 0  # inputs on which its result could be compared with HEAD's
    beyond: int = 0  # ... of them not one of the tests' own calls (which the gates ran already)
    # Nothing outside the tests could be run: a method whose objects could not be built, or only the
    # tests' own calls compared. Not compared is not agreement: the chosen patch is then capped.
    unbuilt: bool = False
    # A changed Python function of it was loaded by the comparison (known or not): unknown then means the
    # comparison could not run or trust it (impure code, results that do not compare, no input), not
    # that there was nothing to compare (a C file, a module-level line) or the code did not import there.
    tried: bool = False
    changed: int = 0  # ... and differs
    changed_like_failing: int = 0
    changed_like_passing: int = 0
    # Changed inputs like passing tests that do not tell: every one of those tests' own calls on that
    # path and shape it changes too (in value, not type only), and the tests still pass (the gates ran
    # them). The tests' oracle accepts either result there, so HEAD's is not what they pin down
    # (see _untold); these do not count as changes like the passing tests.
    changed_like_untold: int = 0
    classified: bool = False  # the tests' calls let inputs be told "like failing" from "like passing"
    example: dict[str, Any] | None = None  # {"call", "base", "candidate", "like", "type_only"}: the changed input shown
    disagreements: list[Disagreement] = field(default_factory=list)
    anti_patterns: list[Any] = field(default_factory=list)  # static anti-patterns (filled by their own check)
    # The docstring's examples this candidate's result contradicts (tools/verify/doc_examples.py):
    # {"call", "expected", "result", "base", "base_holds"}. An oracle beyond the tests: it caps.
    doc_broken: list[dict[str, Any]] = field(default_factory=list)
    doc_checked: int = 0  # docstring examples run on it
    # Passing candidates that are the same code to Python once what each adds is put in its exact
    # idiomatic form (agent/propose/simplify.py: `not (k in d)` is `k not in d`): one patch, two texts.
    same_code: list[str] = field(default_factory=list)
    # The convention its module states by two siblings or more that the patch completes (agent/fix/
    # conventions.py: `values` now returns `list(self.itervalues())` as `keys` and `items` do with their
    # names), as a sentence; "" when none. Evidence beyond the tests the comparison could not give.
    convention: str = ""

    @property
    def known(self) -> bool:
        return self.status == "known"

    @property
    def vacuous(self) -> bool:
        """Compared, but it changed HEAD's result on none of the inputs run: the inputs never reached
        the repair, so agreeing with a rival there says nothing (it counts as not compared)."""
        return self.known and self.changed == 0

    @property
    def outside(self) -> bool:
        """Does it change results on inputs like the passing tests (and unlike the failing ones)?"""
        return self.known and self.classified and self.changed_like_passing >= MIN_OUTSIDE

    def footprint_sentence(self, example: bool = True) -> str:
        return self.change_sentence(example) + (f"; {self.doc_sentence()}" if self.doc_broken else "") + \
            (f"; it completes a convention its module states: {self.convention}" if self.convention else "")

    def doc_sentence(self) -> str:
        broken = self.doc_broken[0]
        more = f" (and {len(self.doc_broken) - 1} more)" if len(self.doc_broken) > 1 else ""
        return (f"contradicts its docstring's example `{broken['call']}` -> {broken['expected']}{more}: "
                f"{_bare(broken['result'])} patched" + ("" if broken["base_holds"] else f", {_bare(broken['base'])} at HEAD"))

    def change_sentence(self, example: bool = True) -> str:
        if not self.known:
            return f"{'not compared' if self.status == 'not_run' else 'unknown'}: {self.reason}"
        text = f"changes HEAD's result on {self.changed} of {self.inputs} inputs"
        if self.classified:
            text += f" ({self.changed_like_passing} like the passing tests, {self.changed_like_failing} like the failing"
            if self.changed_like_untold:
                text += (f", {self.changed_like_untold} like passing tests whose own calls it changes too "
                         "without failing them")
            text += ")"
        if self.example and example:
            text += (f"; e.g. `{self.example['call']}`: {_bare(self.example['base'])} at HEAD, "
                     f"{_bare(self.example['candidate'])} patched")
        return text

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["footprint"] = {k: data.pop(k) for k in ("inputs", "beyond", "changed", "changed_like_failing",
                                                       "changed_like_passing", "changed_like_untold", "classified",
                                                       "example")}
        data["changes_like_passing_tests"] = self.outside
        data["summary"] = self.footprint_sentence()
        data["disagreements"] = [{**vars(d), "sentence": d.sentence(self.candidate_id)} for d in self.disagreements]
        return data


def _bare(outcome: str) -> str:
    return outcome.removeprefix("returns ")


# -- gathering --------------------------------------------------------------------------------


def gather_evidence(tree: Path, heads: Sequence[GateVerdict], pool: Any, *, failing: Sequence[str],
                    passing: Sequence[str], seconds: float = EVIDENCE_SECONDS) -> dict[str, Evidence]:
    """Evidence per candidate id for `heads` (distinct passing candidates, best ranked first).

    `tree` is the repository's directory in a scratch checkout of the base commit (never the
    user's tree); `pool` hands out scratch trees to apply each candidate's patch in.
    """
    started = time.monotonic()
    deadline = started + seconds
    evidence = {v.candidate_id: Evidence(v.candidate_id) for v in heads}
    if len(heads) < 1:
        return evidence
    compared = list(heads[:MAX_CANDIDATES])
    for verdict in heads[MAX_CANDIDATES:]:
        evidence[verdict.candidate_id] = Evidence(verdict.candidate_id, "not_run", NOT_COMPARED_RANK)
    functions = _functions(compared, tree)
    if not functions:
        for item in evidence.values():
            if item.status == "unknown":
                item.reason = "no Python function is changed"
        return evidence
    texts = _candidate_texts(tree, compared, {path for path, _ in functions}, pool, evidence)
    calls = collect_calls(tree)
    base_texts = _base_texts(tree, {path for path, _ in functions})
    _mark_same_code(evidence, texts, base_texts)
    _mark_conventions(evidence, texts, base_texts)
    runs: list[tuple[str, BehaviourRun]] = []
    for number, (path, qualname) in enumerate(functions):
        left = deadline - time.monotonic()
        if left < 0.5:
            break
        versions = {cid: files[path] for cid, files in texts.items() if path in files}
        if not versions:
            continue
        try:
            base_text = decode_source((tree / path).read_bytes(), path)
        except (OSError, LookupError, UnicodeDecodeError):
            continue
        seeds = _seeds(calls.get(qualname.rsplit(".", 1)[-1], []), failing, passing)
        types, _ = annotations_for(base_text, qualname, calls, annotate=False)
        recording = time.monotonic()
        observed = calls.get(qualname.rsplit(".", 1)[-1], [])
        receivers = _receivers(tree, path, qualname, base_text, failing, passing, observed)
        # The tests' run that records a method's objects comes on top of the comparison's share (it
        # is what makes a method comparable at all), bounded by RECORD_SECONDS.
        deadline += time.monotonic() - recording
        # Each version's other changed files load with it: a caller here sees its change there.
        companions = {cid: {p: t for p, t in files.items() if p != path and t != base_texts.get(p)}
                      for cid, files in texts.items() if path in files}
        run = compare_versions(tree, path, qualname, versions, seeds=seeds, param_types=types,
                               time_limit=max(0.5, left / (len(functions) - number)), receivers=receivers,
                               companions=companions)
        runs.append((f"{path}::{qualname}", run))
    for cid in texts:
        _summarise(evidence[cid], runs, [c for c in texts if c != cid])
    for item in evidence.values():
        if item.status == "unknown" and not item.reason:
            item.reason = "no time left to compare" if not runs else "nothing could be compared"
    return evidence


def _base_texts(tree: Path, paths: set[str]) -> dict[str, str]:
    texts = {}
    for path in paths:
        try:
            texts[path] = decode_source((tree / path).read_bytes(), path)
        except (OSError, LookupError, UnicodeDecodeError):
            continue
    return texts


def _mark_same_code(evidence: dict[str, Evidence], texts: dict[str, dict[str, str]], base_texts: dict[str, str]) -> None:
    """Fill `Evidence.same_code`: candidates whose changed files parse alike once each one's additions
    are in their exact idiomatic form (only rewrites that are the same code to Python)."""
    forms: dict[str, tuple] = {}
    for cid, files in texts.items():
        try:
            forms[cid] = tuple(sorted((path, ast.dump(ast.parse(_exact_form(base_texts.get(path, ""), text))))
                                      for path, text in files.items()))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    for cid, form in forms.items():
        evidence[cid].same_code = [other for other, theirs in forms.items() if other != cid and theirs == form]


def _mark_conventions(evidence: dict[str, Evidence], texts: dict[str, dict[str, str]],
                      base_texts: dict[str, str]) -> None:
    """Fill `Evidence.convention` for a candidate that changes one file, completing a convention there."""
    for cid, files in texts.items():
        changed = [(path, text) for path, text in files.items() if text != base_texts.get(path)]
        if len(changed) == 1 and changed[0][0] in base_texts:
            evidence[cid].convention = completed_convention(base_texts[changed[0][0]], changed[0][1])


def _exact_form(base: str, text: str) -> str:
    simplified = simplify_added(base, text)
    return simplified.text if simplified.exact else text


def _receivers(tree: Path, path: str, qualname: str, base_text: str, failing: Sequence[str],
               passing: Sequence[str], observed: Sequence[dict[str, Any]] = ()) -> list[dict[str, str]]:
    """A method's calls as the tests make them, `self` included (tools/verify/receivers.py): the
    objects no strategy can build. For a module-level function, the calls of the tests that pass it
    something other than a literal (`shortest_path(parse(text), ...)`; `observed`, collect_calls'
    calls of it), recorded in those tests only. Empty for a static/class method."""
    if "." in qualname and _is_plain_method(base_text, qualname):
        tests = list(dict.fromkeys([*failing, *passing]))
    elif "." not in qualname:
        built = {call.get("test", "") for call in observed
                 if not all(is_known(v) for v in [*call["args"], *call["kwargs"].values()])}
        tests = [n for n in dict.fromkeys([*failing, *passing]) if n.split("[", 1)[0] in built]
    else:
        return []
    if not tests:
        return []
    file = tree / path
    top = import_root(file)
    module = module_name(file.resolve().relative_to(top).as_posix())
    records = record_receivers(tree, module, qualname, tests, time_limit=RECORD_SECONDS, env=child_env(top))
    label = {**{n: "passing" for n in passing}, **{n: "failing" for n in failing}}
    return [{"pickle": data, "label": label.get(test, "")} for test, data in records]


def _is_plain_method(text: str, qualname: str) -> bool:
    """Is `qualname` a function defined directly in a class, neither static nor a class method? A
    property's getter (`@property`, `@instanceproperty`, `@cached_property`) is one: it takes `self`."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    owner, _, name = qualname.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == owner.rsplit(".", 1)[-1]:
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == name:
                    decorators = {getattr(d, "id", getattr(d, "attr", "")) for d in item.decorator_list}
                    return not decorators & {"staticmethod", "classmethod"}
    return False


def _functions(heads: Sequence[GateVerdict], tree: Path | None = None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    parsed: dict[str, ast.Module | None] = {}
    for verdict in heads:
        for item in verdict.changed_symbols:
            path, _, qualname = item.partition("::")
            if path.endswith(".py") and qualname and tree is not None and "." in qualname:
                if path not in parsed:
                    parsed[path] = _parsed(tree / path)
                qualname = _callable_owner(parsed[path], qualname)
            if path.endswith(".py") and qualname and (path, qualname) not in found:
                found.append((path, qualname))
    return found[:MAX_FUNCTIONS]


def _parsed(file: Path) -> ast.Module | None:
    try:
        return ast.parse(decode_source(file.read_bytes(), file.name))
    except (OSError, LookupError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def _callable_owner(module: ast.Module | None, qualname: str) -> str:
    """The outermost function or method `qualname` is defined in (`qualname` itself when it is one).
    A function nested in another (toolz's `thread_last.evalform_back`) cannot be called from outside:
    its enclosing function, which runs it on every call the tests make, is compared in its place, so a
    change to it is seen where its callers see it (before, it was "unknown": the base did not load)."""
    body: list[ast.stmt] = module.body if module is not None else []
    parts = qualname.split(".")
    for depth, part in enumerate(parts):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return qualname
        if not isinstance(node, ast.ClassDef):
            return ".".join(parts[:depth + 1])
        body = node.body
    return qualname


def _candidate_texts(tree: Path, heads: Sequence[GateVerdict], paths: set[str], pool: Any,
                     evidence: dict[str, Evidence]) -> dict[str, dict[str, str]]:
    """Candidate id -> {path: the file's text with its patch}, for the compared files; a candidate
    that also changes another file is "unknown" (its other change is not loaded beside it)."""
    texts: dict[str, dict[str, str]] = {}
    inside = Path(pool.inside) if pool is not None else Path(".")
    for verdict in heads:
        touched = {line[6:].strip() for line in verdict.patch.splitlines() if line.startswith("+++ b/")}
        touched |= {line[6:].strip() for line in verdict.patch.splitlines() if line.startswith("--- a/")}
        prefix = "" if str(inside) in ("", ".") else inside.as_posix().rstrip("/") + "/"
        others = sorted(p.removeprefix(prefix) for p in touched if p.removeprefix(prefix) not in paths)
        if others:
            evidence[verdict.candidate_id].reason = f"it also changes {', '.join(others[:2])}, which the comparison does not load"
            continue
        try:
            with pool.tree() as scratch:
                apply_patch(scratch, verdict.patch)
                texts[verdict.candidate_id] = {p: decode_source((scratch / inside / p).read_bytes(), p)
                                               for p in paths if (scratch / inside / p).is_file()}
        except (PatchError, OSError, LookupError, UnicodeDecodeError) as error:
            evidence[verdict.candidate_id].reason = f"its patch could not be re-applied: {error}"
    return texts


def _seeds(observed: list[dict[str, Any]], failing: Sequence[str], passing: Sequence[str]) -> list[dict[str, Any]]:
    """The tests' literal calls as seeds, each labelled by whether its test fails at the base commit."""
    def plain(nodeid: str) -> str:
        return nodeid.split("[", 1)[0]

    failing_tests, passing_tests = {plain(n) for n in failing}, {plain(n) for n in passing}
    seeds = []
    for call in observed:
        # A non-literal argument (a function, a name) goes as MARKER: the child puts stand-ins in for
        # it where the function calls that parameter (tools/verify/stand_ins.py), else skips the call.
        texts = [repr(v) if is_known(v) else MARKER for v in call["args"]]
        kwargs = {k: repr(v) if is_known(v) else MARKER for k, v in call["kwargs"].items()}
        test = call.get("test", "")
        label = "failing" if test in failing_tests else "passing" if test in passing_tests else ""
        seeds.append({"args": texts, "kwargs": kwargs, "label": label})
    # Failing tests' calls first: they are compared even when the time runs short.
    return sorted(seeds, key=lambda s: {"failing": 0, "passing": 1}.get(s["label"], 2))


def _summarise(item: Evidence, runs: list[tuple[str, BehaviourRun]], rivals: list[str]) -> None:
    """Fill `item` from the runs of every compared function."""
    cid = item.candidate_id
    reasons: list[str] = []
    pairs: dict[str, list[Any]] = {}
    item.tried = any(not run.unknown.startswith(NOT_LOADED) and cid not in run.version_unknown for _, run in runs)
    for name, run in runs:
        for check in run.doc:
            if cid in check["holds"]:
                item.doc_checked += 1
                if not check["holds"][cid]:
                    item.doc_broken.append({"call": check["call"], "expected": check["expected"],
                                            "result": check["outcomes"][cid], "base": check["outcomes"].get("base", ""),
                                            "base_holds": bool(check["holds"].get("base"))})
        if run.unknown or cid in run.version_unknown:
            reasons.append(f"{name}: {run.unknown or run.version_unknown[cid]}")
            item.unbuilt = item.unbuilt or run.unknown.endswith(NO_OBJECT)
            continue
        item.functions.append(name)
        item.classified = item.classified or run.classified
        incomparable = ""
        untold = _untold(run.inputs, cid)
        for result in run.inputs:
            same = result.same("base", cid)
            if same is None:
                incomparable = incomparable or result.unknown.get(cid) or result.unknown.get("base", "")
            else:
                item.inputs += 1
                item.beyond += not result.seed and not result.twin
            if same is False:
                _count_change(item, result, run.classified, result.key in untold)
            for rival in rivals:
                if result.same(cid, rival) is False and not _outside_domain(result, cid, rival):
                    pairs.setdefault(rival, []).append(result)
        if incomparable and not item.inputs:
            reasons.append(f"{name}: the results cannot be compared ({incomparable})")
    if item.inputs and not item.beyond:
        # Every input compared is one of the tests' own calls: the gates ran those already, and
        # nothing beyond them could be built (objects no mutation reaches: a Slot, a date).
        item.unbuilt = True
        twins = sum(1 for _, run in runs for r in run.inputs if r.twin and r.same("base", item.candidate_id) is not None)
        item.reason = "; ".join(reasons + [f"compared only on the tests' own {item.inputs - twins} call(s)"
                                           + (f" and {twins} twin(s) of their objects with one field changed" if twins else "")
                                           + ": no input beyond them could be built"])
        item.inputs = item.changed = item.changed_like_failing = item.changed_like_passing = item.changed_like_untold = 0
        item.example, pairs = None, {}
    elif item.inputs:
        item.status, item.reason = "known", "; ".join(reasons)
    else:
        item.reason = "; ".join(reasons) or "no input could be compared"
    for rival, results in pairs.items():
        # Outside the failing tests' inputs (where the repair lives and HEAD is known wrong), does this
        # candidate keep HEAD's result wherever the rival parts from it? Then its change is the smaller.
        # An input a failing test's path and shape share ("both": `is_leap(0)` runs the one line the
        # failing `is_leap(2024)` runs) is not outside: HEAD's result there may be the bug itself, and
        # keeping it the repair left undone (`% 400 != 0` keeps HEAD's False for year 0; `or` repairs it).
        outside = [r for r in results if r.like not in ("failing", "both")]
        keeps = bool(outside) and all(_keeps_head(r, cid, rival) for r in outside)
        smallest = min(outside if keeps else results, key=lambda r: (len(r.call), r.call))
        broken = [breaks_protocol(r.call, r.outcomes[rival]) for r in results]
        # ... not where this candidate or HEAD breaks it somewhere too (a project whose `__eq__` builds an
        # expression object by design: there the contract is the project's, not the data model's).
        mine_broken = any(breaks_protocol(r.call, r.outcomes[v]) for r in results for v in (cid, "base") if v in r.outcomes)
        item.disagreements.append(Disagreement(rival, smallest.call, smallest.outcomes[cid], smallest.outcomes[rival],
                                               len(outside) if keeps else len(results),
                                               smallest.outcomes.get("base", ""), keeps,
                                               rival_breaks=broken[0] if all(broken) and not mine_broken else ""))


def _outside_domain(result: Any, cid: str, rival: str) -> bool:
    """Do HEAD and both candidates raise on this input, the two candidates different exceptions? Then
    it is outside what the function accepts (a generated value the code was never meant to take, a
    stand-in where it wants a number), and which exception each raises there is no question the tests
    leave open about the repair. The same exception with the arguments left otherwise (a refused
    withdrawal logged or not) is a real difference and stays one."""
    base, mine, theirs = _raised(result, cid, rival)
    if not (base and mine and theirs) or mine == theirs:
        return False
    # Unless HEAD raises an exception of the function's own domain there and one patch raises it too:
    # retry() re-raising the ConnectionError its operation gave after the last attempt, where `>` for
    # `==` runs past the last delay into an IndexError. That input is one the function handles.
    return base in INCIDENTAL_ERRORS or base not in (mine, theirs)


# What any code raises when handed a value it was never meant to take (a stand-in where a number is
# wanted): where HEAD raises one of these, the input says nothing about the function's contract.
INCIDENTAL_ERRORS = frozenset({"TypeError", "AttributeError", "ValueError", "KeyError", "IndexError",
                               "ZeroDivisionError", "NameError", "UnboundLocalError", "RecursionError",
                               "AssertionError", "OverflowError", "StopIteration"})


def _raised(result: Any, *versions: str) -> list[str]:
    """The exception type each version's outcome names ("raises KeyError, leaves ..." -> "KeyError"),
    "" for one that returns; HEAD ("base") first."""
    texts = [result.outcomes.get(v, "") for v in ("base", *versions)]
    return [t.split(",", 1)[0].removeprefix("raises ") if t.startswith("raises ") else "" for t in texts]


def _keeps_head(result: Any, cid: str, rival: str) -> bool:
    """Does `cid` keep HEAD's result on this input where `rival` changes it? In kind, too, where HEAD
    raises an exception of the function's domain: `cid` raising the same one (after other calls of its
    arguments: retry()'s three attempts for HEAD's one) keeps HEAD's contract, a rival raising another
    exception or returning breaks it."""
    if result.same("base", cid) is True and result.same("base", rival) is False:
        return True
    base, mine, theirs = _raised(result, cid, rival)
    return bool(base) and base not in INCIDENTAL_ERRORS and mine == base and theirs != base


def _untold(inputs: Sequence[Any], cid: str) -> set[str]:
    """The (path, shape) keys of passing tests that do not tell HEAD's result from `cid`'s: every
    passing test's own call with that key has its result changed by `cid` in value (not in type
    only: a test that takes 2.0 for 2 may still pin the value), and no failing test's call has it.

    `cid` passes every gate, so those tests pass with the changed results: whatever they assert,
    it is not the result HEAD gives there. PATCH-SIM's premise, that inputs like the passing tests
    should keep their behaviour, rests on the passing tests' oracle; where the oracle accepts both
    results it says nothing. (jmespath's seeded `if not (left['type'] == 'subexpression')`: HEAD
    appends to an index expression's children, the restoration nests it in a subexpression; both
    evaluate alike, and the four passing tests on that path check only what the query returns.)"""
    seeds: dict[str, list[Any]] = {}
    failing_keys = {r.key for r in inputs if r.seed and r.label == "failing"}
    for result in inputs:
        if result.seed and result.label == "passing" and result.key and result.key not in failing_keys:
            seeds.setdefault(result.key, []).append(result)
    return {key for key, calls in seeds.items()
            if all(r.same("base", cid) is False and cid not in r.loose for r in calls)}


def _count_change(item: Evidence, result: Any, classified: bool, untold: bool = False) -> None:
    item.changed += 1
    if result.like == "failing":
        item.changed_like_failing += 1
    elif result.like == "passing" and untold:
        item.changed_like_untold += 1
    elif result.like == "passing":
        item.changed_like_passing += 1
    # The example shown: a change like the passing tests when there is one, a change of value
    # rather than of type only (2.0 for 2), then the smallest call.
    example = {"call": result.call, "base": result.outcomes["base"], "candidate": result.outcomes[item.candidate_id],
               "like": "passing, untold" if untold and result.like == "passing" else result.like,
               "type_only": item.candidate_id in result.loose}

    def rank(shown: dict[str, Any]) -> tuple:
        return (not (classified and shown["like"] == "passing"), shown["type_only"], len(shown["call"]), shown["call"])

    if item.example is None or rank(example) < rank(item.example):
        item.example = example


# -- choosing and rating --------------------------------------------------------------------------


def order_by_evidence(heads: list[GateVerdict], evidence: dict[str, Evidence],
                      risks: dict[str, Sequence[str]] | None = None) -> list[GateVerdict]:
    """`heads` with the smallest behaviour change first (a stable sort: ties keep their order).

    A change like the passing tests' goes last, then one with an overfitting risk or an
    anti-pattern (it loses to a rival without), unknown evidence after known, then fewer changed
    results like the passing tests, then fewer changed results at all (both in tenths of the inputs).
    """
    if not evidence:
        return heads

    def key(verdict: GateVerdict) -> tuple:
        item = evidence.get(verdict.candidate_id)
        risky = bool((risks or {}).get(verdict.candidate_id)) or bool(item and (item.anti_patterns or item.doc_broken))
        if item is None or not item.known:
            return (False, risky, True, 0, 0)
        # Counts in tenths of the inputs compared: two patches a couple of signed zeros apart
        # (`+ 0` vs `- 0`) change about as much, and then the gates' ranking (the smaller diff) decides.
        tenths = lambda n: round(10 * n / max(1, item.inputs))  # noqa: E731
        return (item.outside, risky, False, tenths(item.changed_like_passing), tenths(item.changed))

    ordered = sorted(heads, key=key)
    return _smaller_change_first(ordered, evidence, key)


def _smaller_change_first(ordered: list[GateVerdict], evidence: dict[str, Evidence], key: Any) -> list[GateVerdict]:
    """`ordered` with a rival of the first moved ahead of it when, on every input the two disagree
    on, the rival keeps HEAD's result and the first changes it (and the two are otherwise alike:
    same key but for the rounded count of changes). Its change is then the smaller one, so it
    wins even where the tenths rounding tied them and the gates' ranking put the other first."""
    if len(ordered) < 2:
        return ordered
    first = ordered[0]
    for verdict in ordered[1:]:
        item = evidence.get(verdict.candidate_id)
        if item is None or not item.known or item.vacuous or key(verdict)[:4] != key(first)[:4]:
            continue
        if any(d.other == first.candidate_id and d.keeps_head for d in item.disagreements):
            return [verdict] + [v for v in ordered if v is not verdict]
    return ordered


def vouches(item: Evidence | None, risks: Sequence[str] = (), anti_patterns: Sequence[Any] = (),
            rivals: Sequence[str] = ()) -> str:
    """Why the comparison speaks for the chosen patch where its tests are few ("" when it does not):
    it was compared with HEAD on at least MIN_BEYOND inputs beyond the tests' own calls, changed
    HEAD's result on some (the repair was reached), and showed nothing against it: no change like
    the passing tests', no docstring example broken, no anti-pattern, no overfitting risk; and every
    other distinct passing patch (`rivals`) was seen to differ from it somewhere. Then one covering
    test is not all the evidence there is (agent/fix/select.py lifts its thin cap); how each rival's
    disagreement weighs is still `cap_confidence`'s. A rival that agrees on every input run is another
    patch the comparison cannot tell from this one (toolz's seeded `not (isinstance(form, tuple))`:
    the wrong `not (isinstance(val, tuple))` and the right repair agree on every input the one test's
    call leads to), so with one test the choice between them is open. A rival that is the same code
    (`same_code`: boltons' `not (key in self.data)` beside `key not in self.data`) is no other patch.
    On the benches of stop 35 the thin cap held back 6 right patches and that wrong one.

    Where the comparison could run nothing beyond the tests' own calls (a method of `self` alone, whose
    one test's object only has twins), a convention the module states by two siblings or more and the
    patch completes (`Evidence.convention`) speaks for it instead, under the same conditions but the
    inputs beyond: the code says what the function is for where one test cannot (see `by_convention`)."""
    if item is None or item.outside or item.doc_broken or risks or anti_patterns or item.anti_patterns:
        return ""
    if set(rivals) - {item.candidate_id} - set(item.same_code) - {d.other for d in item.disagreements}:
        return ""
    if item.known and not item.vacuous and item.beyond >= MIN_BEYOND:
        return f"compared with HEAD on {item.beyond} input(s) beyond the tests' own calls, nothing against it"
    if by_convention(item):
        return f"it completes a convention its module states: {item.convention}"
    return ""


def by_convention(item: Evidence) -> bool:
    """Does a completed convention stand for the comparison this candidate lacks? Only where the
    comparison loaded its code and ran it (on the tests' own calls at least) and saw nothing it could
    judge beyond them; a known, non-vacuous result is judged by itself. The same evidence never stands
    for a rival comparison (`vouches` and `_uncompared_rival` still ask for those)."""
    return bool(item.convention) and item.tried and not item.known and item.unbuilt


def cap_confidence(rating: Confidence, chosen: GateVerdict, heads: Sequence[GateVerdict],
                   evidence: dict[str, Evidence], matrix: dict[str, list[bool]] | None = None,
                   risks: dict[str, Sequence[str]] | None = None) -> Confidence:
    """`rating` with the behaviour evidence's reasons, capped below the threshold when the chosen
    patch changes results like the passing tests', or disagrees with a credible passing rival
    that the model's tests (B4's pass matrix) did not tell apart from it. A rival is not credible
    when it is a larger patch (more changed lines), changes results like
    the passing tests' itself, or carries an anti-pattern or an overfitting risk (`risks`, per candidate id:
    an inverted returned predicate, a deleted check) other than one naming a swapped operator (OPERATOR_RISKS).
    A credible rival that could not be compared with the chosen patch (either side unknown) caps too,
    and so does any passing rival when the chosen patch was compared only vacuously (it changes
    HEAD's result on no input run: nothing shows it is the smaller change).
    A chosen patch whose result contradicts an example its function's docstring gives caps too, and so
    does one the comparison never ran on because the run's time was spent, and one whose behaviour is
    unknown (a lone patch included) unless the verifier exhausted its search (PROOFS).
    Each disagreement is marked with what it did (`Disagreement.weighed`).
    A disagreement on which the chosen patch keeps HEAD's result and the rival changes it (none of
    those inputs like the failing tests') does not cap: the smaller behaviour change wins."""
    item = evidence.get(chosen.candidate_id)
    if item is None:
        return rating
    reasons = [f"behaviour: {item.change_sentence(example=not item.outside)}"]
    caps: list[str] = []
    if item.outside:
        caps.append(f"it changes HEAD's result on {item.changed_like_passing} input(s) like the passing tests, "
                    f"e.g. `{item.example['call']}`: {_bare(item.example['base'])} at HEAD, "
                    f"{_bare(item.example['candidate'])} patched")
    # Size in changed lines only: within a line, more AST nodes is no sign of a less likely patch
    # (bench/bugs page_links: `range(1, last + 1)`, the fix, was discounted beside the wrong
    # `range(1, total)`, one node smaller, and the wrong one was claimed).
    size = {v.candidate_id: v.diff_lines for v in heads}

    def credible(other: str) -> bool:
        rival = evidence.get(other)
        if size.get(other, 0) > size.get(chosen.candidate_id, 0) and not item.vacuous:
            # A larger rival does not put a smaller passing patch in doubt: the smallest change wins.
            # Not when the chosen patch changed nothing on any input run: its change was never seen,
            # so nothing says it is the smaller one (the comparison across modules, say, missed it).
            return False
        if rival is not None and (rival.outside or rival.anti_patterns or rival.doc_broken):
            return False  # the rival itself changes what the passing tests pin down: not a credible alternative
        if set((risks or {}).get(other, ())) - OPERATOR_RISKS:
            return False  # nor is one that inverts a result or deletes a check to pass
        # ... and one the model's tests told apart from the chosen patch is decided.
        return not (matrix and matrix.get(other) not in (None, matrix.get(chosen.candidate_id)))

    for disagreement in item.disagreements:
        if not credible(disagreement.other):
            disagreement.weighed = "discounted"
            continue
        if disagreement.rival_breaks:
            # The rival answers what the method's contract rules out wherever the two part: no open question.
            disagreement.weighed = "discounted"
            reasons.append(f"discounted: {disagreement.sentence(chosen.candidate_id)}; {disagreement.other}'s "
                           f"{disagreement.rival_breaks}")
            continue
        if disagreement.keeps_head and not item.vacuous:
            # The chosen patch keeps HEAD's result wherever the rival parts from it outside the
            # failing tests' inputs: the smallest behaviour change that passes, the choice the
            # evidence asks for. The reverse (the chosen one is the larger change) still caps.
            disagreement.weighed = "decided"
            reasons.append("decided: " + disagreement.kept_sentence(chosen.candidate_id))
            continue
        disagreement.weighed = "unresolved"
        caps.append("the tests cannot decide: " + disagreement.sentence(chosen.candidate_id))
    if item.doc_broken:
        caps.append(item.doc_sentence())
    undecided = _uncompared_rival(chosen, heads, evidence, credible)
    unseen = _unseen(item, rating.verifier, rival_named=bool(undecided))
    if unseen and _convention_stands_in(item, set(size), (risks or {}).get(chosen.candidate_id)):
        reasons.append(f"not compared beyond the tests, but it completes a convention its module states: "
                       f"{item.convention}")
        unseen = []
    caps += ([undecided] if undecided else []) + unseen
    value = rating.value
    if caps:
        value = min(value, CAPPED_CONFIDENCE)
        reasons += [f"unresolved: {text}" for text in caps]
    return dataclasses.replace(rating, value=value, reasons=rating.reasons + reasons)


def _convention_stands_in(item: Evidence, heads: set[str], risks: Sequence[str] | None) -> bool:
    """A lone patch (`heads` holds no other code) the comparison could run only on the tests' own calls:
    the convention it completes is the evidence beyond them (`vouches`); a rival, compared or not, still
    needs its comparison, and a risk or an anti-pattern keeps the cap."""
    lone = not (heads - {item.candidate_id} - set(item.same_code))
    return lone and by_convention(item) and not item.anti_patterns and not risks


def _unseen(item: Evidence, verifier: str, rival_named: bool) -> list[str]:
    """Why the chosen patch is capped for lack of any comparison of its own (an uncompared rival,
    `rival_named`, already says it for unknown evidence)."""
    if item.unbuilt and not item.known:
        return [f"nothing outside the tests could be run ({item.reason}); not compared is not agreement"]
    if item.status == "not_run" and item.reason != NOT_COMPARED_RANK:
        # The comparison never ran (the run's limit was spent): nothing outside the tests was seen, and
        # a lone patch is exactly where that is all the evidence there could be. The rival search stops
        # in time to leave the comparison its share (agent/fix/pipeline.py), so this is a starved run.
        return [f"not compared outside the tests ({item.reason}); not compared is not agreement, "
                "a larger --time-limit leaves time for it"]
    if item.status == "unknown" and item.tried and not rival_named and verifier not in PROOFS:
        # Unknown is no agreement for a lone patch either: nothing beyond the tests spoke for it (toolz's
        # seeded `funcs[-1]` -> `funcs[1]` in a property was "repaired" by `funcs[0]`, the same element for
        # the tests' two-function compositions, and claimed at 0.72). Only a verifier that exhausted
        # its search over the changed code stands in for the comparison.
        return [f"its behaviour outside the tests is unknown ({item.reason}); not compared is not agreement"]
    return []


def _uncompared_rival(chosen: GateVerdict, heads: Sequence[GateVerdict], evidence: dict[str, Evidence],
                      credible: Any) -> str:
    """Why a credible passing rival leaves the choice open when the two were never compared ("" when
    none does). A comparison that could not be had is no agreement: two different patches that both
    pass, and whose behaviour outside the tests nobody could run side by side, are a question the
    tests may not decide, as much as two that were seen to disagree."""
    mine = evidence.get(chosen.candidate_id)
    for verdict in heads:
        other = verdict.candidate_id
        if other == chosen.candidate_id or other not in evidence or not credible(other):
            continue
        theirs = evidence[other]
        if theirs.status == "not_run" and theirs.reason == NOT_COMPARED_RANK:
            continue  # ranked below the candidates compared: the best-ranked rivals speak for the choice
        if mine.known and theirs.known:
            if mine.vacuous:
                return (f"the tests may not decide: {chosen.candidate_id} and {other} both pass and "
                        f"{chosen.candidate_id} changes HEAD's result on none of the {mine.inputs} inputs run (the inputs "
                        "never reach the repair), so the comparison says nothing about it")
            continue  # compared: a disagreement, if any, is in mine.disagreements
        why = mine.reason if not mine.known else theirs.reason
        return (f"the tests may not decide: {chosen.candidate_id} and {other} both pass and their behaviour "
                f"outside the tests could not be compared ({why or 'not compared'})")
    return ""


def disagreement_hint(evidence: dict[str, Evidence]) -> str:
    """The inputs passing candidates disagree on, as comment lines for the model writing tests (B4)."""
    lines = sorted({f"# {d.call}: one patch {d.mine}, another {d.theirs}"
                    for item in evidence.values() for d in item.disagreements})
    if not lines:
        return ""
    return "\n\n# Inputs on which the passing patches give different results (the tests should decide them):\n" + \
        "\n".join(lines[:6])

