"""The planner's tools: what a model may do to the repository, and nothing more.

Each tool is an OpenAI function schema plus a handler that returns an `Observation`
(capped text for the model, and for `propose_edit` the gates' verdict). Reading tools
look at the base commit through the symbol index; the only tool that changes code is
`propose_edit`, and its edits land in a scratch worktree where the gates judge them
(agent/gates/validate.py), never in the user's tree.

Edits are refused outside the localised files (the files the failing tests ran, plus
`--allow-path` ones) and always for CI, build and secret files: an issue text is data,
and one that asks to edit a workflow or print a token does not get to.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture import prompts
from suture.agent.gates.validate import Candidate, GateVerdict
from suture.retrieval import api
from suture.retrieval.model import RetrievalError
from suture.retrieval.testfiles import is_test_path
from suture.retrieval.repomap import repo_map
from suture.tools.edits import PROTECTED, Edit, PathRefused, edit_size_problem, normalize_edit_path, protected_reason
from suture.tools.llm.client import head_tail
from suture.tools.testing.localize import Localization

OUTPUT_CHARS = 6000  # a tool output longer than this keeps its head and tail
OUTLINE_OVER_LINES = 200  # read_code without a range shows a longer file as an outline first
READ_MAX_LINES = 250
MAX_TESTS_PER_RUN = 20
MAX_ARGUMENT_CHARS = 1_000_000  # a string argument longer than this is refused before any handler sees it
# Never edited by a model, whatever an issue says (unless the user names them with --allow-path):
# tools.edits.PROTECTED, checked by apply_edits itself for every proposer.
__all__ = ["PROTECTED", "SCHEMAS", "Observation", "Toolbox", "argument_problem", "call_key"]


@dataclass
class Observation:
    text: str
    verdict: GateVerdict | None = None
    finished: bool = False
    repeats_rejected: bool = False  # a patch with the same code as one already rejected


def _tool(name: str, properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    """A tool's JSON schema; its description and its arguments' come from prompts/planner_tools.md."""
    texts = prompts.sections("planner_tools")
    described = {arg: {**spec, "description": texts[f"{name}.{arg}"]} if f"{name}.{arg}" in texts else spec
                 for arg, spec in properties.items()}
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": texts[name],
            "parameters": {"type": "object", "properties": described, "required": list(required)},
        },
    }


def _say(key: str, **values: object) -> str:
    """An observation text from prompts/observations.md."""
    return prompts.render_section("observations", key, **values)


_STR = {"type": "string"}
_INT = {"type": "integer"}

SCHEMAS = [
    _tool("search", {"query": _STR, "kind": {"type": "string", "enum": ["class", "function", "method", "code"]}},
          ["query"]),
    _tool("search_class", {"name": _STR, "path": _STR}, ["name"]),
    _tool("search_method", {"name": _STR, "class_name": _STR, "path": _STR}, ["name"]),
    _tool("search_code", {"snippet": _STR, "path": _STR}, ["snippet"]),
    _tool("find_callers", {"name": _STR}, ["name"]),
    _tool("read_code", {"path": _STR, "start_line": _INT, "end_line": _INT}, ["path"]),
    _tool("repo_map", {"focus": {"type": "array", "items": _STR}}),
    _tool("localize", {}),
    _tool("run_tests", {"tests": {"type": "array", "items": _STR}}, ["tests"]),
    _tool("state_plans", {"plans": {"type": "array", "items": {"type": "object", "properties": {
              "hypothesis": _STR, "location": _STR, "repair": _STR}, "required": ["hypothesis", "repair"]}}},
          ["plans"]),
    _tool("propose_edit", {"plan": {"type": "integer"}, "edits": {"type": "array", "items": {
              "type": "object", "properties": {"path": _STR, "search": _STR, "replace": _STR},
              "required": ["path", "search", "replace"]}}},
          ["edits"]),
    _tool("verify", {"path": _STR, "function": {"type": "string"}, "candidate": {"type": "string"}},
          ["path", "function"]),
    _tool("finish", {"summary": _STR}),
]


@dataclass
class Plan:
    number: int
    hypothesis: str
    location: str
    repair: str
    attempts: list[str] = field(default_factory=list)  # candidate ids proposed under this plan


class Toolbox:
    """The handlers behind SCHEMAS, over one base commit.

    `gate` judges a Candidate and returns its GateVerdict (agent/fix/pipeline.py passes validation in
    its worktree pool); `allowed_paths` are glob patterns a model may edit beyond the
    localised files.
    """

    def __init__(
        self,
        retriever: api.Retriever,
        localization: Localization | None,
        gate: Callable[[Candidate], GateVerdict],
        *,
        allowed_paths: Sequence[str] = (),
        map_tokens: int = 1024,
        run_tests: Callable[[list[str]], str] | None = None,
    ) -> None:
        self.retriever = retriever
        self.localization = localization
        self.gate = gate
        self.allowed_paths = list(allowed_paths)
        self.map_tokens = map_tokens
        self.run_tests = run_tests
        self.plans: list[Plan] = []
        self.candidates: dict[str, Candidate] = {}
        self.verdicts: dict[str, GateVerdict] = {}
        self._by_key: dict[str, str] = {}  # normalised patch key -> first candidate id with it
        self.localised_files = {s.path for s in (localization.ranking if localization else [])}
        run = getattr(localization, "run", None)  # the baseline run: the ids run_tests accepts as they are
        self.collected_tests = set(getattr(run, "outcomes", None) or ())

    # -- dispatch ------------------------------------------------------------------------

    def call(self, name: str, arguments: dict[str, Any]) -> Observation:
        schema = next((s["function"] for s in SCHEMAS if s["function"]["name"] == name), None)
        handler = getattr(self, f"_tool_{name}", None)
        if handler is None or schema is None:
            known = ", ".join(s["function"]["name"] for s in SCHEMAS)
            return Observation(_say("no_such_tool", name=repr(name), known=known))
        # The model's arguments are data: checked against the tool's schema before any handler sees them.
        problem = argument_problem(arguments, schema["parameters"])
        if problem:
            return Observation(_say("arguments_misfit", name=name, problem=problem))
        required = schema["parameters"].get("required") or ()
        arguments = {k: v for k, v in arguments.items() if v is not None or k in required}
        try:
            observation = handler(**arguments)
        except TypeError as error:  # wrong or missing arguments: tell the model which
            return Observation(_say("bad_arguments", name=name, error=error))
        except RetrievalError as error:
            return Observation(str(error))
        observation.text = head_tail(observation.text, OUTPUT_CHARS)
        return observation

    # -- reading -------------------------------------------------------------------------

    def _tool_search(self, query: str, kind: str | None = None) -> Observation:
        hits = self.retriever.search.search(query, kind=kind, limit=8)
        if not hits:
            return Observation(_say("no_results", query=repr(query)))
        lines = [f"{h.path}:{h.start_line}-{h.end_line} {h.kind} {h.symbol}  {h.signature}" for h in hits]
        return Observation("\n".join(lines))

    def _tool_search_class(self, name: str, path: str | None = None) -> Observation:
        result = api.search_class_in_file(self.retriever, name, path) if path else api.search_class(self.retriever, name)
        return Observation(result.render())

    def _tool_search_method(self, name: str, class_name: str | None = None, path: str | None = None) -> Observation:
        if class_name:
            result = api.search_method_in_class(self.retriever, name, class_name)
        elif path:
            result = api.search_method_in_file(self.retriever, name, path)
        else:
            result = api.search_method(self.retriever, name)
        return Observation(result.render())

    def _tool_search_code(self, snippet: str, path: str | None = None) -> Observation:
        result = api.search_code_in_file(self.retriever, snippet, path) if path else api.search_code(self.retriever, snippet)
        return Observation(result.render())

    def _tool_find_callers(self, name: str) -> Observation:
        return Observation(api.find_callers(self.retriever, name).render())

    def _tool_read_code(self, path: str, start_line: int | None = None, end_line: int | None = None) -> Observation:
        if self.retriever.index.file(path) is None:
            return Observation(_say("not_indexed_read", path=path))
        lines = self.retriever.lines(path)
        if start_line is None and end_line is None and len(lines) > OUTLINE_OVER_LINES:
            outline = [f"{s.start_line}-{s.end_line} {s.kind} {s.qualname}{s.signature and ' ' + s.signature}"
                       for s in self.retriever.index.symbols_in(path)]
            return Observation(_say("outline", path=path, count=len(lines), outline="\n".join(outline)))
        first = max(1, start_line or 1)
        last = min(len(lines), end_line or len(lines), first + READ_MAX_LINES - 1)
        if first > len(lines):
            return Observation(_say("too_short", path=path, count=len(lines)))
        body = "\n".join(f"{n:>5} {lines[n - 1]}" for n in range(first, last + 1))
        more = "\n" + _say("more_lines", count=len(lines) - last) if last < len(lines) else ""
        return Observation(f"{path}:{first}-{last}\n{body}{more}")

    def _tool_repo_map(self, focus: Sequence[str] = ()) -> Observation:
        return Observation(repo_map(self.retriever.index, tokens=self.map_tokens, focus_paths=tuple(focus)))

    def _tool_run_tests(self, tests: Sequence[str]) -> Observation:
        if self.run_tests is None:
            return Observation(_say("tests_unavailable"))
        wanted = [t.strip() for t in tests if t.strip()]
        if not wanted:
            return Observation(_say("name_a_test"))
        refused = [(nodeid, why) for nodeid in wanted for why in [self.test_id_problem(nodeid)] if why]
        if refused:
            return Observation(_say("tests_refused", why=" ".join(why for _, why in refused[:3])))
        return Observation(self.run_tests(wanted[:MAX_TESTS_PER_RUN]))

    def test_id_problem(self, nodeid: str) -> str | None:
        """Why `nodeid` may not go on the test command line, or None.

        The ids become pytest's arguments: an option (`--basetemp=<dir>` empties a directory,
        `--junitxml=<file>` overwrites one), an `@file` of arguments, or a path outside the
        scratch tree must never get there. A collected id passes; otherwise its file part must
        be an existing test file inside the tree.
        """
        if nodeid.startswith(("-", "@")):
            return f"{nodeid!r} is a command-line option, not a test node id."
        if any(ch in nodeid for ch in "\0\n\r"):
            return f"{nodeid!r} is not a test node id."
        if nodeid in self.collected_tests:
            return None
        path = nodeid.split("::", 1)[0]
        try:
            rel = normalize_edit_path(path)
        except PathRefused:
            return f"{nodeid!r} names a path outside the repository."
        root = Path(self.retriever.index.root).resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or ".git" in target.relative_to(root).parts:
            return f"{nodeid!r} names a path outside the repository."
        if not target.is_file():
            return f"{nodeid!r} names no file of the repository."
        known_files = {t.split("::", 1)[0] for t in self.collected_tests}
        if rel not in known_files and not (rel.endswith(".py") and is_test_path(rel)):
            return f"{nodeid!r} is not in a test file."
        return None

    def _tool_localize(self) -> Observation:
        return Observation(suspects_text(self.localization, limit=10))

    # -- planning and patching -----------------------------------------------------------

    def _tool_state_plans(self, plans: Sequence[dict[str, Any]]) -> Observation:
        if not plans:
            return Observation(_say("no_plans"))
        start = len(self.plans)
        for offset, plan in enumerate(plans, 1):
            if not isinstance(plan, dict):
                return Observation(_say("plan_shape"))
            self.plans.append(Plan(start + offset, str(plan.get("hypothesis", "")), str(plan.get("location", "")),
                                   str(plan.get("repair", ""))))
        numbers = ", ".join(str(p.number) for p in self.plans[start:])
        return Observation(_say("plans_recorded", numbers=numbers))

    def refused_path(self, path: str) -> str | None:
        """Why a model may not edit `path`, or None when it may (checked on the normalised path, the
        same check apply_edits makes; this one spares a gate run and adds the localisation rule)."""
        try:
            path = normalize_edit_path(path)
        except PathRefused as refused:
            return refused.message
        protected = protected_reason(path, self.allowed_paths)
        if protected:
            return protected
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in self.allowed_paths):
            return None
        if self.localised_files and path not in self.localised_files and self.retriever.index.file(path) is not None:
            return _say("outside_localised", path=path)
        return None

    def _tool_propose_edit(self, edits: Sequence[dict[str, Any]], plan: int | None = None) -> Observation:
        parsed: list[Edit] = []
        for number, edit in enumerate(edits or [], 1):
            if not isinstance(edit, dict) or not all(isinstance(edit.get(k), str) for k in ("path", "search", "replace")):
                return Observation(_say("edit_fields", number=number))
            refused = self.refused_path(edit["path"])
            parsed.append(Edit(edit["path"], edit["search"], edit["replace"]))
            refused = refused or edit_size_problem(parsed[-1])
            if refused:
                return Observation(_say("edit_refused", number=number, why=refused))
        if not parsed:
            return Observation(_say("no_edits"))
        candidate_id = f"model-{len(self.candidates) + 1}"
        plan_obj = next((p for p in self.plans if p.number == plan), None)
        candidate = Candidate(candidate_id, parsed, source="model",
                              description=plan_obj.repair if plan_obj else "model patch",
                              meta={"plan": plan_obj.number if plan_obj else None})
        verdict = self.gate(candidate)
        self.candidates[candidate_id] = candidate
        self.verdicts[candidate_id] = verdict
        if plan_obj is not None:
            plan_obj.attempts.append(candidate_id)
        earlier = self._by_key.get(verdict.normalized_key) if verdict.normalized_key else None
        if verdict.normalized_key and earlier is None:
            self._by_key[verdict.normalized_key] = candidate_id
        repeat = earlier is not None and not self.verdicts[earlier].accepted
        return Observation(verdict_text(candidate_id, verdict, earlier), verdict=verdict, repeats_rejected=repeat)

    def _tool_verify(self, path: str, function: str, candidate: str | None = None) -> Observation:
        from suture.agent.gates.verify_gate import FunctionCheck, check_base_function
        from suture.agent.gates.verify_report import check_text

        name = f"{path}::{function}"
        if candidate:
            verdict = self.verdicts.get(candidate)
            if verdict is None:
                known = ", ".join(self.verdicts) or "none yet"
                return Observation(_say("no_candidate", candidate=repr(candidate), known=known))
            checks = [c for c in ((verdict.verification or {}).get("functions") or []) if c.get("function") == name]
            if not checks:
                key = "no_verdict_unchanged" if verdict.stage == "verifier" else "no_verdict_stopped"
                return Observation(_say(key, candidate=candidate, name=name, stage=verdict.stage))
            fields = FunctionCheck.__dataclass_fields__
            return Observation(check_text(FunctionCheck(**{k: v for k, v in checks[0].items() if k in fields}), candidate))
        if self.retriever.index.file(path) is None:
            return Observation(_say("not_indexed_verify", path=path))
        return Observation(check_text(check_base_function(self.retriever.index.root, path, function), "base commit"))

    def _tool_finish(self, summary: str = "") -> Observation:
        return Observation(_say("finished"), finished=True)


def verdict_text(candidate_id: str, verdict: GateVerdict, same_as: str | None = None) -> str:
    """What the model learns of a candidate's gates: enough to revise, not a whole log."""
    if verdict.accepted:
        return _say("passed", candidate=candidate_id, message=verdict.message)
    repeat = " " + _say("same_as_rejected", same_as=same_as) if same_as else ""
    edits = [r for r in verdict.edit_results if getattr(r, "status", None) is not None]
    statuses = "; ".join(f"{r.path}: {r.status.value}{' - ' + r.message if r.message else ''}" for r in edits
                         if r.status.value != "applied")
    text = _say("rejected", candidate=candidate_id, stage=verdict.stage, message=verdict.message) + repeat
    if statuses:
        text += "\n" + _say("edit_results", statuses=statuses)
    return text


def suspects_text(localization: Localization | None, limit: int = 10) -> str:
    if localization is None or not localization.ranking:
        return _say("no_ranking")
    rows = [f"{n}. {s.path}:{s.start_line}-{s.end_line} {s.symbol} (score {s.score:.2f})"
            for n, s in enumerate(localization.ranking[:limit], 1)]
    return "\n".join(rows)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,),
    "object": (dict,), "null": (type(None),),
}


def argument_problem(value: Any, schema: dict[str, Any], where: str = "") -> str | None:
    """What is wrong with a tool call's JSON `value` against the tool's (OpenAI, JSON Schema subset)
    `schema`, as a clause a model can act on; None when it fits.

    Checks `type` (a bool is not an integer), `enum`, an object's `required` keys and that it has no
    keys beyond its `properties`, and every array item; null for an optional property counts as
    leaving it out. Strings are capped at MAX_ARGUMENT_CHARS.
    """
    label = f"`{where}`" if where else "the arguments"
    wanted = schema.get("type")
    if wanted is not None:
        types = wanted if isinstance(wanted, list) else [wanted]
        fits = any(isinstance(value, _JSON_TYPES.get(t, ()))
                   and not (t in ("integer", "number") and isinstance(value, bool)) for t in types)
        if not fits:
            return f"{label} must be {' or '.join(_a(t) for t in types)}, not {_json_kind(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{label} must be one of {', '.join(json.dumps(v) for v in schema['enum'])}"
    if isinstance(value, str) and len(value) > MAX_ARGUMENT_CHARS:
        return f"{label} is {len(value):,} characters, over the limit of {MAX_ARGUMENT_CHARS:,}"
    if isinstance(value, dict) and (wanted == "object" or "properties" in schema):
        properties = schema.get("properties") or {}
        missing = [k for k in schema.get("required") or () if k not in value]
        if missing:
            names = ", ".join(f"`{_join(where, k)}`" for k in missing)
            return f"{label} lack{'s' if where else ''} the required {names}"
        unknown = [k for k in value if k not in properties]
        if unknown:
            known = ", ".join(properties) or "none"
            return f"{', '.join(f'`{_join(where, k)}`' for k in unknown)} is not an argument here (known: {known})"
        for key, item in value.items():
            if item is None and key not in (schema.get("required") or ()):
                continue  # null for an optional argument: as if left out (the dispatcher drops it)
            problem = argument_problem(item, properties[key], _join(where, key))
            if problem:
                return problem
    if isinstance(value, list) and "items" in schema:
        for number, item in enumerate(value):
            problem = argument_problem(item, schema["items"], f"{where}[{number}]")
            if problem:
                return problem
    return None


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _a(kind: str) -> str:
    return {"integer": "an integer", "array": "an array", "object": "an object", "null": "null"}.get(kind, f"a {kind}")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    for kind, types in _JSON_TYPES.items():
        if isinstance(value, types) and not (kind in ("integer", "number") and isinstance(value, bool)):
            return _a(kind)
    return type(value).__name__


def call_key(name: str, arguments: dict[str, Any]) -> str:
    """A stable identity for a tool call, for the loop breaker."""
    return name + json.dumps(arguments, sort_keys=True, default=str)
