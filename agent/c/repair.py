"""The rule engine for C: repair a function ESBMC finds unsafe, with no tests to go on.

`suture fix --target file.c[::func]` (or `suture fix` in a repository whose test command
finds no tests and that has C files) checks each target function with ESBMC through a
generated harness, and when ESBMC reports a memory-safety violation (an array bound, a
NULL or invalid dereference) tries small template repairs of that function:

- off-by-one: a loop condition's `<` <-> `<=` (`>` <-> `>=`), an index `e` -> `e - 1` / `e + 1`;
- bounds: `if (i < 0 || i >= n) break; / continue; / return ...;` before the failing
  statement, or the index clamped to `n - 1`;
- null checks: `if (!p) return ...;` at the start of the function;
- and, on purpose, deleting the loop (or statement) that fails: what an oracle that only
  asks "does the property hold?" accepts. The behaviour gate below is what rejects it.

A candidate is accepted only if (1) it compiles, (2) ESBMC's property holds on it (no
counterexample within the bound, or exhausted), and (3) its behaviour is unchanged
outside the failing region, judged by running the original and the candidate (gcc, one
forked child per input, a 2 s alarm each) on a deterministic sample of inputs:

- inputs on which the original is clean under AddressSanitizer and UBSan: the candidate
  must return the same value and leave the same contents in every buffer it was given;
- inputs on which the original runs past the end of a buffer the harness passed (a heap
  overflow): the memory past the end is the failing region; the candidate must agree with
  a plain (unsanitised) run of the original for some value of that memory (the buffers
  are padded with 0, 1, -1 or 127); an off-by-one fix agrees, a deleted loop does not;
- inputs on which the original fails otherwise (NULL, a stack array, a hang): only the
  contents of the caller's buffers are compared, the return value is in the failing region;
- on every input the candidate itself must be clean under the sanitizers;
- and at least one comparison must have been made: no evidence is no acceptance.

The harness model (which pointer is a buffer, a string or one object) is tools/verify/c_harness.py's.
ESBMC's counterexample is replayed there, compiled with the sanitizers, before anything is
repaired: a violation the compiled function does not reproduce is ESBMC's artefact.
ESBMC first checks with valid pointers; only when that holds are the strings and single
objects allowed to be NULL too (the null-check phase), so a NULL check never hides a
bounds bug. Signed overflow is not a repair target here (`suture verify file.c` reports
it). Functions the harness cannot drive are reported as unsupported.

Over 600 lines as one concept: C repair's own loop (targets, ESBMC's verdicts, candidate
edits, the recheck) shares nothing with the Python pipeline but its report, and reads in order.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from suture.agent import runs
from suture.agent.c.outcome import RepairResult, Tried, gcc_check as _gcc_check
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.options import FixOptions
from suture.tools.verify.c_harness import (DRIVER, ESBMC_SECONDS, UNWIND, CFunction, Run, c_functions, c_parser, check_property,
                                    compile_c, driver_source, harness_phases, replay_violation, run_driver,
                                    sample_cases)
from suture.tools.git.diffs import text_diff
from suture.tools.verify.verifier import Verdict
from suture.tools.git import cmd as gitcmd
from suture.tools.llm.client import LLMError

__all__ = ["RepairResult", "candidates", "fallback_targets", "repair_function", "run_c_fix"]

MAX_CANDIDATES = 40
MAX_FUNCTIONS = 12  # functions checked per run when a whole file (or repository) is the target
MAX_FILES = 8
PADS = (0, 1, -1, 127)  # values of the memory past a buffer's end in the plain runs
PAD_ELEMENTS = 4



def _violation_line(verdict: Verdict, file: Path) -> int | None:
    location = verdict.counterexample.location if verdict.counterexample else ""
    where, _, line = location.rpartition(":")
    if line.isdigit() and Path(where).name == file.name:
        return int(line)
    return None


# ---------------------------------------------------------------- candidates


@dataclass
class CCandidate:
    id: str
    description: str
    text: str  # the whole file after the edit


def candidates(source: str, func: CFunction, line: int | None) -> list[CCandidate]:
    """Template repairs of `func`, those at the failing `line` first; deduplicated, at most MAX_CANDIDATES."""
    data = source.encode("utf-8")
    root = c_parser().parse(data).root_node
    fnode = next(n for n in root.children if n.type == "function_definition" and n.start_byte == func.start_byte)
    edits: list[tuple[int, str, list[tuple[int, int, str]]]] = []  # (priority, description, byte edits)

    def at_line(node) -> bool:
        return line is not None and node.start_point[0] + 1 <= line <= node.end_point[0] + 1

    nodes = list(_walk(fnode))
    failing_stmt = None
    if line is not None:
        statements = [n for n in nodes if n.type in ("expression_statement", "return_statement")
                      and n.start_point[0] + 1 == line]
        failing_stmt = statements[0] if statements else None
    loops = [n for n in nodes if n.type in ("for_statement", "while_statement", "do_statement")]
    failing_loops = [n for n in loops if at_line(n)]
    failing_loops.sort(key=lambda n: n.end_byte - n.start_byte)  # innermost first

    # What a property-only oracle would accept: the failing code gone.
    if failing_loops:
        loop = failing_loops[0]
        edits.append((0, f"delete the loop at line {loop.start_point[0] + 1}", [(loop.start_byte, loop.end_byte, ";")]))
    elif failing_stmt is not None:
        edits.append((0, f"delete the statement at line {line}",
                      [(failing_stmt.start_byte, failing_stmt.end_byte, ";")]))

    # Off-by-one in loop conditions, the failing loops' first.
    flips = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
    for loop in failing_loops + [n for n in loops if n not in failing_loops]:
        condition = loop.child_by_field_name("condition")
        if condition is None:
            continue
        for node in _walk(condition):
            if node.type != "binary_expression":
                continue
            op = node.child_by_field_name("operator")
            if op is not None and op.type in flips:
                priority = 1 if loop in failing_loops else 5
                edits.append((priority, f"`{op.type}` -> `{flips[op.type]}` in the loop condition at line {op.start_point[0] + 1}",
                              [(op.start_byte, op.end_byte, flips[op.type])]))

    edits += _index_repairs(func, fnode, root, data, [n for n in nodes if n.type == "subscript_expression"], at_line)

    # NULL checks for pointers the harness may pass as NULL.
    for p in func.params:
        if p.role in ("string", "object") and any(n.type == "identifier" and n.text.decode() == p.name for n in nodes):
            edits.append((3 if line is not None else 7, f"return early when `{p.name}` is NULL",
                          [(func.body_start, func.body_start, f"\n  if (!{p.name}) {func.default_return()}")]))

    out: list[CCandidate] = []
    seen = {source}
    for _priority, description, changes in sorted(edits, key=lambda e: e[0]):
        text = _apply(data, changes)
        if text in seen:
            continue
        seen.add(text)
        out.append(CCandidate(f"c-{len(out) + 1}", description, text))
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _index_repairs(func: CFunction, fnode, root, data: bytes, subscripts: list, at_line) -> list:
    """(priority, description, byte edits) for each subscript: other indices, a clamp, a guard before it."""
    edits: list[tuple[int, str, list[tuple[int, int, str]]]] = []
    lengths = {p.name: p.length for p in func.params if p.role == "buffer"}
    arrays = _array_sizes(root, fnode, data)
    for sub in sorted(subscripts, key=lambda n: not at_line(n)):
        index = sub.child_by_field_name("index")
        array = sub.child_by_field_name("argument")
        if index is None or array is None:
            continue
        priority = 2 if at_line(sub) else 6
        text = index.text.decode()
        number = index.start_point[0] + 1
        for new, what in _index_variants(index, text):
            edits.append((priority, f"index `{text}` -> `{new}` at line {number}", [(index.start_byte, index.end_byte, new)]))
        size = lengths.get(array.text.decode()) or arrays.get(array.text.decode())
        if size is None or not at_line(sub):
            continue
        clamp = f"({_p(text)} >= {_p(size)} ? {_p(size)} - 1 : {_p(text)})"
        edits.append((4, f"clamp index `{text}` to `{size} - 1` at line {number}", [(index.start_byte, index.end_byte, clamp)]))
        statement = _enclosing_statement(sub)
        if statement is None:
            continue
        guard = f"if ({_p(text)} < 0 || {_p(text)} >= {_p(size)})"
        exits = ([("break;", "break"), ("continue;", "continue")] if _inside_loop(statement, fnode) else []) \
            + [(func.default_return(), "return")]
        for exit_text, word in exits:
            edits.append((3, f"guard `{guard} {word}` before line {statement.start_point[0] + 1}",
                          _insert_before(statement, data, f"{guard} {exit_text}")))
    return edits


def _p(text: str) -> str:
    """`text` in parentheses unless it is a name or a number already."""
    return text if re.fullmatch(r"[A-Za-z_]\w*|\d+", text) else f"({text})"


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _index_variants(index, text: str) -> list[tuple[str, str]]:
    variants = [(f"{text} - 1", "minus"), (f"{text} + 1", "plus")] if index.type in ("identifier", "number_literal") \
        else [(f"({text}) - 1", "minus"), (f"({text}) + 1", "plus")]
    if index.type == "binary_expression":
        op = index.child_by_field_name("operator")
        right = index.child_by_field_name("right")
        left = index.child_by_field_name("left")
        if op is not None and op.type in ("+", "-") and right is not None and right.text == b"1" and left is not None:
            variants.insert(0, (left.text.decode(), "drop"))
    return variants


def _array_sizes(root, fnode, data: bytes) -> dict[str, str]:
    """Arrays declared with a size in the function or at file level: name -> size text."""
    sizes = {}
    for scope in (root, fnode):
        for node in _walk(scope):
            if node.type == "array_declarator":
                name, size = node.child_by_field_name("declarator"), node.child_by_field_name("size")
                if name is not None and size is not None and name.type == "identifier":
                    sizes.setdefault(name.text.decode(), size.text.decode())
    return sizes


def _enclosing_statement(node):
    while node is not None and node.type not in ("expression_statement", "return_statement", "declaration"):
        node = node.parent
    return node


def _inside_loop(node, stop) -> bool:
    node = node.parent
    while node is not None and node != stop:
        if node.type in ("for_statement", "while_statement", "do_statement"):
            return True
        node = node.parent
    return False


def _insert_before(statement, data: bytes, text: str) -> list[tuple[int, int, str]]:
    """`text` as its own statement before `statement`; braces when `statement` is a bare loop or if body."""
    if statement.parent is not None and statement.parent.type != "compound_statement":
        return [(statement.start_byte, statement.end_byte, "{ " + text + " " + statement.text.decode() + " }")]
    line_start = data.rfind(b"\n", 0, statement.start_byte) + 1
    indent = data[line_start:statement.start_byte].decode()
    if indent.strip():
        return [(statement.start_byte, statement.start_byte, text + " ")]
    return [(line_start, line_start, indent + text + "\n")]


def _apply(data: bytes, changes: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(changes, key=lambda c: c[0], reverse=True):
        data = data[:start] + new.encode("utf-8") + data[end:]
    return data.decode("utf-8")



class Behaviour:
    """The original function's runs on the sample, against which candidates are compared."""

    def __init__(self, work: Path, original: Path, func: CFunction, include_dirs: tuple[Path, ...], *,
                 nullable: bool = False) -> None:
        self.work, self.func, self.include_dirs = work, func, include_dirs
        self.cases = sample_cases(func, nullable=nullable)
        self.sanitizers = True
        self.original = self._runs(original, "original", padded=True)

    def _runs(self, file: Path, label: str, *, padded: bool = False) -> tuple[Run, list[Run]]:
        """(the sanitised run without padding, the plain runs with each padding value)."""
        folder = self.work / f"driver-{label}"
        folder.mkdir(exist_ok=True)
        source = folder / DRIVER
        source.write_text(driver_source(self.func, file.resolve(), self.cases))
        checked = folder / "checked"
        if self.sanitizers and not compile_c(source, checked, self.include_dirs, sanitize=True):
            self.sanitizers = False  # no sanitizer runtime here: crashes of the plain build decide alone
        plain = folder / "plain"
        error = compile_c(source, plain, self.include_dirs, sanitize=False, want_error=True)
        if isinstance(error, str):
            raise SutureExit(f"the behaviour harness for {self.func.name} does not compile: {error}")
        first = run_driver(checked if self.sanitizers else plain, 0, 0)
        return first, [run_driver(plain, pad, PAD_ELEMENTS) for pad in PADS] if padded else []

    def compare(self, file: Path, label: str, *, program: bool = False) -> tuple[bool, str, dict[str, int]]:
        """(unchanged outside the failing region, why not, counts of the comparisons).

        `program`: the repair is of a program checked from its main, whose own calls ESBMC
        vouches for; a sampled input the original fails on too (a negative size, say) is one
        main may never pass, so the candidate failing there is no reason to turn it down."""
        cand_first, _ = self._runs(file, label)
        orig_first, orig_padded = self.original
        counts = {"cases": len(self.cases), "clean_in_original": 0, "compared": 0, "failing_in_original": 0}
        for k, case in enumerate(self.cases):
            shown = _describe(case)
            failed = cand_first.status.get(k, -1) != 0 or cand_first.outputs.get(k) is None
            if failed and program and orig_first.status.get(k, -1) != 0:
                counts["failing_in_original"] += 1
                continue
            if failed:
                why = "hangs" if cand_first.status.get(k) == 128 + 14 else "crashes or trips a sanitizer"
                return False, f"the candidate {why} on {shown}", counts
            ours = cand_first.outputs[k]
            if orig_first.status.get(k) == 0 and orig_first.outputs.get(k) is not None:
                counts["clean_in_original"] += 1
                counts["compared"] += 1
                if ours != orig_first.outputs[k]:
                    return False, (f"it changes what the function does on {shown}, an input the original handles: "
                                   f"{_strip(orig_first.outputs[k])} before, {_strip(ours)} now"), counts
                continue
            counts["failing_in_original"] += 1
            plain = [run.outputs.get(k) for run in orig_padded if run.status.get(k) == 0 and run.outputs.get(k)]
            if not plain or orig_first.kinds.get(k) == "freed":
                # The original never completes on it, or what it computed came from freed memory:
                # nothing outside the failing region to keep.
                continue
            if orig_first.kinds.get(k) != "heap":
                ours, plain = _buffers_only(ours), [_buffers_only(p) for p in plain]
            counts["compared"] += 1
            if ours not in plain:
                return False, (f"on {shown} (where the original overflows) it does not agree with the original for any "
                               f"value past the buffer's end: {_strip(plain[0])} before, {_strip(ours)} now"), counts
        if counts["compared"] == 0 and not program:  # a program's own main is ESBMC's evidence there
            return False, "no sampled input left anything to compare, so unchanged behaviour cannot be shown", counts
        return True, "", counts


def _strip(output: str | None) -> str:
    return re.sub(r"^R \d+ ", "", output or "nothing")


def _buffers_only(output: str) -> str:
    return re.sub(r"ret=\S+", "ret=?", output)


def _describe(case: dict[str, Any]) -> str:
    return f"({', '.join(f'{k}={v!r}' for k, v in case.items())})"



# ---------------------------------------------------------------- one function


def repair_function(source: str, path: str, func: CFunction, work: Path, include_dirs: tuple[Path, ...], *,
                    deadline: float, log: Callable[..., None] = lambda *a, **k: None) -> RepairResult:
    """Check `func` with ESBMC; when it violates a property, search the templates for an accepted repair."""
    result = RepairResult(path, func.name)
    if func.unsupported:
        result.note = f"not checked: {func.unsupported}"
        return result
    original = work / "original" / Path(path).name
    original.parent.mkdir(parents=True, exist_ok=True)
    original.write_text(source, encoding="utf-8")
    phases = harness_phases(func)
    for phase in phases:
        verdict = check_property(work, original, func, phase, include_dirs,
                                 time_limit=max(5.0, min(ESBMC_SECONDS, deadline - time.monotonic())))
        verdict = replay_violation(work, original, func, verdict, include_dirs)
        result.before, result.phase = _located(verdict, original.parent.name, path), phase
        if verdict.verdict != "no_counterexample_within_bound" and verdict.verdict != "exhausted":
            break
    log("c_check", function=f"{path}::{func.name}", phase=result.phase, verdict=result.before.verdict,
        message=result.before.message)
    if result.before.verdict in ("error", "unsupported"):
        result.note = f"ESBMC could not check it: {result.before.message}"
        return result
    if not result.violated:
        return result
    line = _violation_line(result.before, original)
    needed = phases[: phases.index(result.phase) + 1]
    behaviour: Behaviour | None = None
    for candidate in candidates(source, func, line):
        if time.monotonic() > deadline:
            result.note = "the time limit ran out before every candidate was tried"
            break
        tried = Tried(candidate.id, candidate.description, "compile", "")
        result.tried.append(tried)
        folder = work / candidate.id
        folder.mkdir()
        file = folder / Path(path).name
        file.write_text(candidate.text, encoding="utf-8")
        error = _gcc_check(file, include_dirs)
        if error:
            tried.message = f"does not compile: {error}"
            log("c_candidate", **tried.to_dict())
            continue
        tried.stage = "property"
        after = None
        for phase in needed:
            after = check_property(folder, file, func, phase, include_dirs,
                                   time_limit=max(5.0, min(ESBMC_SECONDS, deadline - time.monotonic())))
            after = replay_violation(folder, file, func, after, include_dirs)
            if after.verdict not in ("no_counterexample_within_bound", "exhausted"):
                break
        after = _located(after, "", path)
        tried.verdict = after.verdict
        if after.verdict not in ("no_counterexample_within_bound", "exhausted"):
            tried.message = f"ESBMC: {after.verdict.replace('_', ' ')} ({after.message})"
            log("c_candidate", **tried.to_dict())
            continue
        tried.stage = "behaviour"
        if behaviour is None:
            behaviour = Behaviour(work, original, func, include_dirs, nullable=result.phase == "NULL allowed")
        same, why, counts = behaviour.compare(file, candidate.id)
        if not same:
            tried.message = f"ESBMC's property holds, but {why}"
            log("c_candidate", **tried.to_dict())
            continue
        tried.stage, tried.message = "accepted", (
            f"ESBMC: {after.verdict.replace('_', ' ')}; behaviour unchanged outside the failing region on "
            f"{counts['compared']} of {counts['cases']} sampled inputs ({counts['failing_in_original']} of them "
            "reach the violation in the original)")
        log("c_candidate", **tried.to_dict())
        result.fixed_text, result.after, result.behaviour = candidate.text, after, counts
        break
    return result


def _located(verdict: Verdict, folder: str, path: str) -> Verdict:
    """ESBMC's locations in the scratch copy ("original/buf.c:6") as the repository's ("src/buf.c:6")."""
    where = re.compile(r"(?<![\w/.-])" + re.escape(f"{folder}/" if folder else "") + re.escape(Path(path).name) + ":")
    fix = lambda text: where.sub(f"{path}:", text) if text else text  # noqa: E731
    verdict.message = fix(verdict.message)
    if verdict.counterexample is not None:
        verdict.counterexample.location = fix(verdict.counterexample.location)
        verdict.counterexample.message = fix(verdict.counterexample.message)
    return verdict


# ---------------------------------------------------------------- targets and the fix pipeline


def fallback_targets(repo: Path, error: Exception) -> list[str]:
    """The C files `suture fix` checks when localisation failed with `error` because the test
    command finds no tests at all (tools.localize.NoTestsCollected); else []."""
    from suture.tools.testing.localize import NoTestsCollected

    if not isinstance(error, NoTestsCollected):
        return []
    from suture.tools.verify.esbmc_backend import locate_esbmc

    if shutil.which("gcc") is None or locate_esbmc() is None:
        return []  # "no tests found" stays the answer when the C oracle cannot run
    done = gitcmd.run(repo, "ls-files", "*.c", text=True)
    return sorted(done.stdout.split())[:MAX_FILES] if done.returncode == 0 else []


def _resolve(repo: Path, targets: list[str]) -> list[tuple[str, str | None]]:
    out = []
    for raw in targets:
        path, _, function = raw.partition("::")
        if Path(path).suffix != ".c":
            raise SutureExit(f"--target {raw}: only C files (file.c or file.c::function) are repaired this way.")
        if not (repo / path).is_file():
            raise SutureExit(f"--target {raw}: {path} is not a file of {repo}.")
        out.append((path, function or None))
    return out


def run_c_fix(repo: Path, options: FixOptions, base: str, run_dir: Path, log: Callable[..., None],
              stage: Callable[[str], None], started: float, client: Any = None) -> tuple[dict[str, Any], ExitCode]:
    """`suture fix` for C targets: the fix report and exit code (agent/fix/pipeline.py makes them its FixOutcome).

    `client`: the run's model, if any: a program no template repairs goes to the ESBMC-AI loop
    (agent/c/model_repair.py) under the planner's budgets."""
    from suture.agent import runs
    from suture.agent.fix.deliver import deliver
    from suture.tools.verify.esbmc_backend import locate_esbmc, self_test

    if shutil.which("gcc") is None:
        raise SutureExit("repairing C needs gcc on PATH (to compile candidates and compare their behaviour).",
                         ExitCode.REFUSED)
    binary = locate_esbmc()
    if binary is None:
        raise SutureExit("repairing C needs ESBMC: put esbmc on PATH or install suture[esbmc].", ExitCode.REFUSED)
    trusted, why = self_test(binary, remember=True)
    if not trusted:
        raise SutureExit(why + "; C repairs need a trusted checker.", ExitCode.REFUSED)
    deadline = started + options.time_limit
    results: list[RepairResult] = []
    fixed: dict[str, str] = {}  # path -> repaired text
    originals: dict[str, str] = {}
    stage("checking C functions with ESBMC")
    with tempfile.TemporaryDirectory(prefix="suture-c-repair-") as tmp:
        for path, wanted in _resolve(repo, list(options.targets)):
            source = (repo / path).read_text(encoding="utf-8", errors="replace")
            originals[path] = source
            error = _gcc_check(repo / path, ((repo / path).parent.resolve(),))
            if error:
                raise SutureExit(f"{path} does not compile, so it cannot be checked or repaired: {error}")
            if wanted is None and any(f.name == "main" for f in c_functions(source.encode("utf-8"))):
                # A program: checked and repaired from its own main (agent/c/program_repair.py).
                stage(f"checking {path} from main")
                result = _repair_program(repo, path, source, Path(tmp) / f"{len(results)}-main", deadline,
                                         options.test_cmd, log, _model_loop(client, path, options, deadline, log, stage))
                results.append(result)
                if result.fixed_text is not None:
                    fixed[path] = result.fixed_text
                continue
            functions = [f for f in c_functions(source.encode("utf-8")) if f.name != "main"]
            if wanted is not None:
                functions = [f for f in functions if f.name == wanted]
                if not functions:
                    raise SutureExit(f"{path} defines no function {wanted}.")
            for func in functions[:MAX_FUNCTIONS]:
                if time.monotonic() > deadline:
                    break
                current = fixed.get(path, source)
                func = next((f for f in c_functions(current.encode("utf-8")) if f.name == func.name), func)
                work = Path(tmp) / f"{len(results)}-{func.name}"
                work.mkdir()
                stage(f"checking {path}::{func.name}")
                result = repair_function(current, path, func, work, ((repo / path).parent.resolve(),),
                                         deadline=deadline, log=log)
                results.append(result)
                if result.fixed_text is not None:
                    fixed[path] = result.fixed_text
    patch = "".join(text_diff(path, originals[path], text) for path, text in fixed.items())
    violated = [r for r in results if r.violated]
    unrepaired = [r for r in violated if r.fixed_text is None]
    delivery = None
    if patch and not unrepaired:
        stage("delivering")
        message = "Repair " + ", ".join(f"{r.path}::{r.function}" for r in violated) + " (suture, ESBMC as the oracle)\n\n" + \
            "\n".join(f"{r.function}: {r.before.message}; {r.tried[-1].description}. {r.tried[-1].message}." for r in violated)
        delivery = deliver(repo, patch, run_dir, mode=options.mode, message=message, base=base)
    report = _report(results, patch if not unrepaired else "", delivery, run_dir, time.monotonic() - started,
                     best=patch if unrepaired else "", client=client)
    runs.write_report(run_dir, report)
    log("end", status=report["status"])
    if not any(r.before is not None for r in results):
        code = ExitCode.NOTHING_FOUND  # nothing could be checked: no claim either way
    elif not violated:
        code = ExitCode.DONE  # nothing wrong within the bound
    elif unrepaired:
        code = ExitCode.NOTHING_FOUND
    else:
        code = ExitCode.DONE
    return report, code


def _model_loop(client: Any, path: str, options: FixOptions, deadline: float, log: Callable[..., None],
                stage: Callable[[str], None]):
    if client is None:
        return None
    from suture.agent.c.model_repair import ModelLoop

    loop = ModelLoop(client, path, max_steps=options.max_steps, deadline=deadline, log=log)

    def run(*args) -> None:
        stage(f"no template repair of {path} passed: asking the model, ESBMC re-checks each answer")
        try:
            loop(*args)
        except LLMError as error:
            raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None

    return run


def _repair_program(repo: Path, path: str, source: str, work: Path, deadline: float, test_cmd: str | None,
                    log: Callable[..., None], model_loop: Callable | None = None) -> RepairResult:
    from suture.agent.c.program_repair import repair_program

    include = ((repo / path).parent.resolve(),)

    def behaviour_of(func: CFunction, _source: str, folder: Path):
        # A struct's sampled states may break invariants the program keeps (a stack's `top` within its
        # items): from main, ESBMC and the program's tests judge those functions.
        if func.unsupported or func.name == "main" or any(p.role == "struct" for p in func.params):
            return None
        try:
            gate = Behaviour(folder, folder / "original" / Path(path).name, func, include)
        except SutureExit:  # no driver for it (a const field it cannot fill): ESBMC from main and the tests decide
            return None
        return lambda file, label: gate.compare(file, label, program=True)[:2]

    return repair_program(repo, path, source, work, deadline=deadline, test_cmd=test_cmd,
                          function_templates=candidates, behaviour_of=behaviour_of, log=log, model_loop=model_loop)


def _report(results: list[RepairResult], patch: str, delivery: Any, run_dir: Path, seconds: float,
            best: str = "", client: Any = None) -> dict[str, Any]:
    violated = [r for r in results if r.violated]
    repaired = [r for r in violated if r.fixed_text is not None]
    fixed = bool(patch) and len(repaired) == len(violated)
    checks = [r.to_dict() for r in results]
    if not violated:
        verdict = min((r.before.verdict for r in results if r.before is not None),
                      key=lambda v: {"exhausted": 2, "no_counterexample_within_bound": 1}.get(v, 0), default="not_run")
    else:
        verdict = min((r.after.verdict if r.after else "counterexample" for r in violated),
                      key=lambda v: {"exhausted": 2, "no_counterexample_within_bound": 1}.get(v, 0))
    report: dict[str, Any] = {
        "status": "fixed" if fixed else "not_fixed",
        "patch": patch if fixed else "",
        "engine": "model-c" if any(r.tried and r.tried[-1].id.startswith("m-") for r in repaired) else "rules-c",
        "changed_files": list(delivery.files) if delivery else [],
        "candidates_tried": sum(len(r.tried) for r in results),
        "tests": {"failing_before": [], "flaky": [], "passing_before": 0, "after": None},
        "verification": {"verdict": verdict, "backend": "esbmc", "bound": UNWIND, "bound_kind": "unwind",
                         "functions": checks, "regression_tests": []},
        "cost": runs.cost_summary(client),
        "seconds": round(seconds, 2),
        "run_dir": str(run_dir),
        "explanation": "",
        "risks": [],
        "delivery": delivery.to_dict() if delivery else None,
        "notes": [r.note for r in results if r.note],
    }
    if fixed:
        report["explanation"] = " ".join(
            f"ESBMC found {r.before.message} in {r.function} ({r.phase}); {r.tried[-1].description}: {r.tried[-1].message}."
            for r in repaired)
    elif not [r for r in results if r.before is not None]:
        report["stopped_because"] = "no C function could be checked: " + (
            "; ".join(f"{r.function}: {r.note}" for r in results) or "the targets define no function besides main")
    elif not violated:
        checked = [r for r in results if r.before is not None]
        report["stopped_because"] = (
            "nothing to repair: ESBMC finds no memory-safety violation in "
            + (", ".join(f"{r.function} ({r.before.verdict.replace('_', ' ')})" for r in checked) or "any checkable function")
            + f" within {UNWIND} unwindings")
    else:
        missing = [r for r in violated if r.fixed_text is None]
        report["stopped_because"] = "; ".join(
            f"no repair of {r.function} passed ESBMC and the behaviour check ({len(r.tried)} tried)"
            + (f": {r.note}" if r.note else "") for r in missing)
        if best:
            report["best_partial"] = {"patch": best, "passes_all_gates": False,
                                      "description": "the repairs of the other functions"}
    return report
