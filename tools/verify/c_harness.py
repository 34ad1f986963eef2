"""C functions as the harnesses see them, and the programs that drive them.

One model of a function's inputs serves ESBMC and gcc alike. A pointer parameter
followed by an integer parameter named like a length (n, len, size, count, ...; else
the integer right after it) is a buffer of exactly that many elements (0..MAX_LEN in
ESBMC); a `char *` without one is a NUL-terminated string (length 0..MAX_LEN); any other
pointer points to one object. A struct (or a pointer to one) gets nondeterministic fields as
tools/verify/c_structs.py models them. Parameters of other types (pointers to pointers) make
a function unsupported; unions and function pointers make it `unsupported` outright (`refused`:
a bare ESBMC run would only report artefacts of pointers it knows nothing about).

- `esbmc_harness`: a main for ESBMC whose every input, buffer contents included, is a
  named nondeterministic variable, so a counterexample's trace names all of them;
- `driver_source`: a program that runs the function on concrete inputs, each in a forked
  child, printing what it returned and left in its buffers (built plain or with
  AddressSanitizer + UBSan);
- `replay_violation`: ESBMC's counterexample rebuilt as concrete inputs and run in the
  sanitised driver; a violation the compiled program does not reproduce is ESBMC's
  artefact, not a bug of the function.
"""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suture.tools.childenv import project_env
from suture.tools.verify import c_structs
from suture.tools.verify.c_structs import StructShape, struct_shapes
from suture.tools.verify.c_types import FLOAT_WORDS, INT_WORDS, c_parser, type_words
from suture.tools.verify.verifier import Counterexample, Target, Verdict, run_bounded

MAX_LEN = 4  # buffer and string lengths ESBMC considers: 0..MAX_LEN
UNWIND = MAX_LEN + 4  # loops over such buffers fit, so a holding property can be `exhausted`
ESBMC_SECONDS = 30.0
MAX_CASES = 48
CASE_SECONDS = 2
HARNESS = "suture_harness.c"
DRIVER = "suture_driver.c"

_LENGTH_NAME = re.compile(r"^(n|len|length|size|count|cnt|num|sz|nelem|nmemb|capacity|cap)$|(_len|_size|_count|_n|len|size|count)$",
                          re.I)


# ---------------------------------------------------------------- functions and their parameters


@dataclass
class Param:
    name: str
    base: str  # the type without pointer and qualifiers: "int", "unsigned char"
    pointer: bool
    role: str = "scalar"  # scalar | length | buffer | string | object | struct
    length: str = ""  # for a buffer: the name of its length parameter
    shape: StructShape | None = None  # for a struct (by value, or a pointer to one object)

    @property
    def unsigned(self) -> bool:
        return "unsigned" in self.base.split() or self.base.startswith("uint") or self.base == "size_t"

    @property
    def floating(self) -> bool:
        return bool(set(self.base.split()) & FLOAT_WORDS)


@dataclass
class CFunction:
    name: str
    start_byte: int
    end_byte: int
    body_start: int  # byte offset just after the body's `{`
    start_line: int  # 1-based
    end_line: int
    returns: str  # "void", "int"-like text, "float"-like, or "pointer"
    params: list[Param]
    unsupported: str = ""  # why the harness cannot drive it ("" when it can)
    refused: bool = False  # a union or a function pointer: unsupported, not checked bare either

    def default_return(self) -> str:
        return "return;" if self.returns == "void" else "return 0;"


def c_functions(source: bytes, file: Path | None = None) -> list[CFunction]:
    """The function definitions of a C file, with the harness roles of their parameters.

    `file`: where the source lives, so the structs of the local headers it includes are known too."""
    tree = c_parser().parse(source)
    shapes = struct_shapes(source, file) if b"struct" in source or b"union" in source or b"typedef" in source else {}
    found = []
    for node in tree.root_node.children:
        if node.type != "function_definition":
            continue
        declarator = node.child_by_field_name("declarator")
        stars = 0
        while declarator is not None and declarator.type == "pointer_declarator":
            stars += 1
            declarator = declarator.child_by_field_name("declarator")
        if declarator is None or declarator.type != "function_declarator":
            continue
        name_node = declarator.child_by_field_name("declarator")
        body = node.child_by_field_name("body")
        if name_node is None or name_node.type != "identifier" or body is None:
            continue
        type_text = source[node.start_byte:node.child_by_field_name("declarator").start_byte].decode("utf-8", "replace")
        return_words = [w for w in type_words(type_text) if w not in ("static", "inline", "extern")]
        returns = "pointer" if stars else ("void" if return_words == ["void"] else
                                           "float" if set(return_words) & FLOAT_WORDS else " ".join(return_words))
        params, why, refused = _params(declarator.child_by_field_name("parameters"), source, shapes)
        if not why and stars == 0 and returns not in ("void", "float") and not set(return_words) <= INT_WORDS:
            why = f"it returns {' '.join(return_words)}, which the harness cannot compare"
        found.append(CFunction(name_node.text.decode(), node.start_byte, node.end_byte, body.start_byte + 1,
                               node.start_point[0] + 1, node.end_point[0] + 1, returns, params, why, refused))
    return found


def _params(node, source: bytes, shapes: dict[str, StructShape]) -> tuple[list[Param], str, bool]:
    """(parameters, why the harness cannot build them or "", whether that is a refusal: a union or function pointer)."""
    params: list[Param] = []
    for child in node.named_children if node is not None else []:
        if child.type == "variadic_parameter":
            return params, "it is variadic", False
        if child.type != "parameter_declaration":
            return params, f"parameter {child.text.decode()!r} is not a plain declaration", False
        declarator = child.child_by_field_name("declarator")
        if declarator is None:  # f(void)
            if child.text.decode().strip() == "void":
                continue
            return params, "a parameter has no name", False
        if any(n.type == "function_declarator" for n in _walk_nodes(declarator)):
            name = next((n.text.decode() for n in _walk_nodes(declarator) if n.type == "identifier"), "?")
            return params, f"parameter {name} is a function pointer, which the harness does not model", True
        stars = 0
        while declarator.type in ("pointer_declarator", "array_declarator"):
            stars += 1
            declarator = declarator.child_by_field_name("declarator")
        if declarator.type != "identifier" or stars > 1:
            return params, f"parameter {child.text.decode()!r} is not a scalar or a pointer to one", False
        base = " ".join(type_words(source[child.start_byte:child.child_by_field_name("declarator").start_byte].decode()))
        name = declarator.text.decode()
        words = set(base.split())
        if words and words <= (INT_WORDS | FLOAT_WORDS):
            params.append(Param(name, base, stars == 1))
            continue
        shape = shapes.get(base)
        if base.startswith("union ") or (shape is not None and not shape.fields and shape.unsupported.startswith(base)):
            what = "a union" if base.startswith("union ") or "union" in shape.unsupported else "a function pointer"
            return params, f"parameter {name} has type {base}, {what}, which the harness does not model", True
        if shape is None:
            return params, f"parameter {name} has type {base or '?'}, which the harness cannot build", False
        if shape.unsupported:
            refused = "union" in shape.unsupported or "function pointer" in shape.unsupported
            return params, f"parameter {name} has type {base}: {shape.unsupported}", refused
        params.append(Param(name, base, stars == 1, "struct", shape=shape))
    _assign_roles(params)
    return params, "", False


def _walk_nodes(node):
    yield node
    for child in node.children:
        yield from _walk_nodes(child)


def _assign_roles(params: list[Param]) -> None:
    for index, param in enumerate(params):
        if not param.pointer or param.role == "struct":
            continue
        later = [p for p in params[index + 1:] if not p.pointer and not p.floating and p.role != "struct"]
        length = next((p for p in later if _LENGTH_NAME.search(p.name)), None)
        if length is None and index + 1 < len(params) and params[index + 1] in later:
            length = params[index + 1]
        if length is not None:
            param.role, param.length = "buffer", length.name
            length.role = "length"
        elif "char" in param.base.split():
            param.role = "string"
        else:
            param.role = "object"


# ---------------------------------------------------------------- ESBMC's harness


def esbmc_harness(func: CFunction, include: Path, *, nullable: bool) -> str:
    """A main that calls `func` on every input of the harness model (nondeterministic values)."""
    lines = ["#define main suture_file_main", f'#include "{include}"', "#undef main", "#include <stdlib.h>",
             "#include <string.h>", "", "int main(void) {"]
    for p in func.params:
        if p.pointer or p.role == "struct":
            continue
        lines.append(f"  {p.base} {p.name};")
        if p.role == "length":
            low = "" if p.unsigned else f"{p.name} >= 0 && "
            lines.append(f"  __ESBMC_assume({low}{p.name} <= {MAX_LEN});")
    # Contents come from named nondet variables (NAME_item), so the trace carries them.
    for p in func.params:
        if p.role == "buffer":
            lines += [f"  {p.base} *{p.name} = malloc(sizeof({p.base}) * {p.length});",
                      f"  __ESBMC_assume({p.name} != 0);",
                      f"  for (unsigned long suture_i = 0; suture_i < (unsigned long) {p.length}; suture_i++) {{",
                      f"    {p.base} {p.name}_item;", f"    {p.name}[suture_i] = {p.name}_item;", "  }"]
        elif p.role == "string":
            lines += [f"  unsigned {p.name}_len;", f"  __ESBMC_assume({p.name}_len <= {MAX_LEN});",
                      f"  {p.base} *{p.name} = malloc({p.name}_len + 1);", f"  __ESBMC_assume({p.name} != 0);",
                      f"  for (unsigned suture_i = 0; suture_i < {p.name}_len; suture_i++) {{",
                      f"    {p.base} {p.name}_item;", f"    __ESBMC_assume({p.name}_item != 0);",
                      f"    {p.name}[suture_i] = {p.name}_item;", "  }", f"  {p.name}[{p.name}_len] = 0;"]
        elif p.role == "object":
            lines += [f"  {p.base} {p.name}_item;", f"  {p.base} {p.name}_object = {p.name}_item;",
                      f"  {p.base} *{p.name} = &{p.name}_object;"]
        elif p.role == "struct" and p.pointer:  # on the heap: a function that frees it may
            lines += [f"  {p.base} *{p.name} = calloc(1, sizeof(*{p.name}));", f"  __ESBMC_assume({p.name} != 0);",
                      *c_structs.esbmc_lines(p.name, f"(*{p.name})", p.shape, nullable=nullable, max_len=MAX_LEN)]
        elif p.role == "struct":
            lines += [f"  {p.base} {p.name};", f"  memset(&{p.name}, 0, sizeof {p.name});",
                      *c_structs.esbmc_lines(p.name, p.name, p.shape, nullable=nullable, max_len=MAX_LEN)]
        if nullable and (p.role in ("string", "object") or (p.role == "struct" and p.pointer)):
            lines += [f"  _Bool {p.name}_null;", f"  if ({p.name}_null) {p.name} = 0;"]
    lines += [f"  {func.name}({', '.join(p.name for p in func.params)});", "  return 0;", "}", ""]
    return "\n".join(lines)


def harness_phases(func: CFunction) -> list[str]:
    nullable = any(p.role in ("string", "object") or (p.role == "struct" and (p.pointer or _has_pointers(p.shape)))
                   for p in func.params)
    return ["valid pointers", "NULL allowed"] if nullable else ["valid pointers"]


def _has_pointers(shape: StructShape | None) -> bool:
    return shape is not None and any(f.kind in ("buffer", "string", "object", "struct_ptr") or _has_pointers(f.shape)
                                     for f in shape.fields)


def check_property(work: Path, file: Path, func: CFunction, phase: str, include_dirs: tuple[Path, ...],
                   time_limit: float = ESBMC_SECONDS, bound: int = UNWIND) -> Verdict:
    """ESBMC on `func` of `file` through the harness of `phase` (memory safety, no overflow check)."""
    from suture.tools.verify import esbmc_backend

    (work / HARNESS).write_text(esbmc_harness(func, file.resolve(), nullable=phase == "NULL allowed"))
    return esbmc_backend.check_c(Target(work, HARNESS), bound=bound, time_limit=time_limit,
                                 overflow_check=False, include_dirs=include_dirs, trace_inputs=True)


def replay_violation(work: Path, file: Path, func: CFunction, verdict: Verdict,
                     include_dirs: tuple[Path, ...]) -> Verdict:
    """ESBMC's counterexample on `func` (from `check_property`), replayed for real.

    The trace's inputs become one concrete case for the driver, built with AddressSanitizer
    and UBSan. Reproduced (the case fails): the verdict again, its counterexample marked
    replayed with the concrete inputs. Not reproduced: `no_counterexample_within_bound` with
    ESBMC's claim kept as an artefact, never a bug to repair. No sanitizer runtime to replay
    in: the verdict unchanged (not replayed; the self-test vouches for the checker).
    """
    cx = verdict.counterexample
    if verdict.verdict != "counterexample" or cx is None:
        return verdict
    case = trace_case(func, cx.inputs)
    folder = work / "replay"
    folder.mkdir(exist_ok=True)
    source = folder / DRIVER
    source.write_text(driver_source(func, file.resolve(), [case]))
    binary = folder / "checked"
    if not compile_c(source, binary, include_dirs, sanitize=True):
        return verdict
    run = run_driver(binary, 0, 0)
    shown = {name: repr(value) for name, value in case.items()}
    if run.status.get(0, 0) != 0:
        replayed = Counterexample(shown, cx.message, cx.location, True)
        return Verdict(verdict.verdict, verdict.backend, verdict.bound, verdict.bound_kind, verdict.iterations,
                       verdict.seconds, verdict.message, replayed, list(verdict.artefacts))
    claim = f"esbmc: {cx.message} at {cx.location} on {shown} -> the compiled function runs clean under the sanitizers"
    return Verdict("no_counterexample_within_bound", verdict.backend, verdict.bound, verdict.bound_kind,
                   verdict.iterations, verdict.seconds,
                   f"ESBMC's violation ({cx.message}) does not happen when the function runs on its inputs",
                   None, [*verdict.artefacts, claim])


def verify_function(root: Path, path: str, name: str, *, bound: int | None = None,
                    time_limit: float = ESBMC_SECONDS) -> Verdict | None:
    """`suture verify file.c::name`: memory safety of one function on the harness's inputs.

    Valid pointers first, then NULL strings and objects (as the repair does); a violation
    counts only when the compiled function reproduces it. None when the file defines no
    such function or the harness cannot drive it (the caller checks the function bare).
    """
    file = (root / path).resolve()
    func = next((f for f in c_functions(file.read_bytes(), file) if f.name == name), None)
    if func is not None and func.refused:
        return Verdict("unsupported", "esbmc", bound or UNWIND, "unwind", None, 0.0,
                       f"{name} is not checked: {func.unsupported}.")
    if func is None or func.unsupported:
        return None
    started = time.monotonic()
    include = (file.parent,)
    verdict: Verdict | None = None
    with tempfile.TemporaryDirectory(prefix="suture-c-verify-") as tmp:
        for phase in harness_phases(func):
            work = Path(tmp) / phase.replace(" ", "-")
            work.mkdir()
            left = max(1.0, time_limit - (time.monotonic() - started))
            verdict = replay_violation(work, file, func, check_property(work, file, func, phase, include, left,
                                                                        bound or UNWIND), include)
            if verdict.verdict not in ("no_counterexample_within_bound", "exhausted"):
                break
    assert verdict is not None
    prefix = f"{file}:"
    located = lambda text: text.replace(prefix, f"{path}:") if text else text  # noqa: E731
    verdict.message = f"{located(verdict.message)} ({model_of(func)})"
    if verdict.counterexample is not None:
        verdict.counterexample.location = located(verdict.counterexample.location)
    verdict.artefacts = [located(a) for a in verdict.artefacts]
    verdict.seconds = time.monotonic() - started
    return verdict


def model_of(func: CFunction) -> str:
    """The harness's assumptions about `func`'s inputs, in words."""
    parts = []
    for p in func.params:
        if p.role == "buffer":
            parts.append(f"{p.name}: {p.length} elements")
        elif p.role == "length":
            parts.append(f"{p.name} in 0..{MAX_LEN}")
        elif p.role == "string":
            parts.append(f"{p.name}: a string of 0..{MAX_LEN} chars or NULL")
        elif p.role == "object":
            parts.append(f"{p.name}: one object or NULL")
        elif p.role == "struct":
            parts.append(f"{p.name}: " + ("one " if p.pointer else "") + f"{p.base} ({c_structs.describe(p.shape, MAX_LEN)})"
                         + (" or NULL" if p.pointer else ""))
    return "inputs: " + ("; ".join(parts) if parts else "any values of the parameters")


def trace_case(func: CFunction, inputs: dict[str, str]) -> dict[str, Any]:
    """The driver case (as `sample_cases` builds them) that ESBMC's trace values describe.

    A value the trace lacks is 0 (ESBMC leaves it free because the violation does not depend on it).
    """
    def numbers(name: str, floating: bool = False) -> list[Any]:
        text = inputs.get(name, "")
        parts = text[1:-1].split(",") if text.startswith("[") else [text]
        return [_c_value(part.strip(), floating) for part in parts if part.strip()]

    case: dict[str, Any] = {}
    for p in func.params:
        if p.role in ("scalar", "length"):
            case[p.name] = (numbers(p.name, p.floating) or [0])[0]
    for p in func.params:
        null = _null_flag(inputs.get(f"{p.name}_null", ""))
        if p.role == "buffer":
            size = max(0, int(case.get(p.length, 0)))
            items = numbers(f"{p.name}_item", p.floating)[:size]
            case[p.name] = items + [0] * (size - len(items))
        elif p.role == "string":
            size = max(0, (numbers(f"{p.name}_len") or [0])[0])
            codes = [int(v) % 256 or ord("a") for v in numbers(f"{p.name}_item")[:size]]
            text = "".join(chr(c) for c in codes)
            case[p.name] = None if null else text + "a" * (size - len(text))
        elif p.role == "object":
            case[p.name] = None if null else (numbers(f"{p.name}_item", p.floating) or [0])[0]
        elif p.role == "struct":
            case[p.name] = None if null and p.pointer else c_structs.case_from_trace(p.name, p.shape, numbers)
    return case


def _null_flag(text: str) -> bool:
    return text.strip().lower() in ("1", "true")


def _c_value(text: str, floating: bool) -> Any:
    """One value as ESBMC's trace prints it: 7, -3, 1.5, 'a', TRUE."""
    quoted = re.fullmatch(r"'(.)'", text)
    if quoted:
        return ord(quoted.group(1))
    if text.upper() in ("TRUE", "FALSE"):
        return int(text.upper() == "TRUE")
    try:
        return float(text) if floating else int(text, 0)
    except ValueError:
        try:
            return int(float(text))
        except ValueError:
            return 0

# ---------------------------------------------------------------- behaviour on sampled inputs


def sample_cases(func: CFunction, *, nullable: bool = False, count: int = MAX_CASES) -> list[dict[str, Any]]:
    """Deterministic inputs: each parameter's value (a number, a list for a buffer, a str or None).

    Strings and single objects are NULL in some cases only when `nullable` (the null-check phase),
    as in ESBMC's harness: a bounds repair is not asked to survive inputs it was never about.
    """
    rng = random.Random(f"suture:{func.name}")
    choices: dict[str, list[Any]] = {}
    for p in func.params:
        if p.role == "length":
            choices[p.name] = [0, 1, 2, 3, 5]
        elif p.role == "scalar":
            small = [0, 1, 2, 3, 4, 7]
            if p.floating:
                choices[p.name] = [0.0, 1.5, -2.25, 3.0]
            elif p.unsigned or "char" in p.base.split() or "bool" in p.base or "_Bool" in p.base:
                choices[p.name] = small if "bool" not in p.base and "_Bool" not in p.base else [0, 1]
            else:
                choices[p.name] = small + [-1, -5]
        elif p.role == "string":
            choices[p.name] = ["", "a", "ab", "hello", "a b c"] + ([None] if nullable else [])
        elif p.role == "object":
            choices[p.name] = ([None] if nullable else []) + ([0, 3, -2] if not p.floating else [0.5, -1.0])
        elif p.role == "struct":
            choices[p.name] = ([None] if nullable and p.pointer else []) + \
                c_structs.sample_values(p.shape, rng, nullable=nullable)
        else:
            choices[p.name] = [None]
    names = list(choices)
    product = list(itertools.product(*(choices[n] for n in names))) if names else [()]
    if len(product) > count:  # the first combination (every parameter's first, smallest value) and a sample
        product = product[:1] + rng.sample(product[1:], count - 1)
    cases = []
    for combo in product:
        case = dict(zip(names, combo))
        for p in func.params:
            if p.role == "buffer":
                n = case[p.length]
                case[p.name] = [rng.randint(-9, 9) if not p.floating else rng.randint(-9, 9) / 2 for _ in range(n)]
                if p.unsigned or "char" in p.base.split():
                    case[p.name] = [abs(v) for v in case[p.name]]
        cases.append(case)
    return cases


def _c_literal(value: Any, p: Param) -> str:
    if isinstance(value, float) or p.floating:
        return repr(float(value))
    return str(int(value))


def driver_source(func: CFunction, include: Path, cases: list[dict[str, Any]]) -> str:
    """A program that runs each case in a forked child and prints what the function did.

    `R k <outputs>` for each case that returns, `S k <status>` for each case (0: clean).
    argv: the padding value and the number of padding elements after every buffer.
    """
    out = ["#define main suture_file_main", f'#include "{include}"', "#undef main",
           "#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", "#include <unistd.h>",
           "#include <sys/wait.h>", "", "static long long suture_pad;", "static int suture_extra;", ""]
    for k, case in enumerate(cases):
        out.append(f"static void suture_case_{k}(void) {{")
        shown: list[tuple[Param, str]] = []
        for p in func.params:
            value = case[p.name]
            if p.role == "struct":  # its contents are not printed: the function may have freed them
                out += _struct_lines(p, value)
            elif not p.pointer:
                out.append(f"  {p.base} {p.name} = ({p.base}) {_c_literal(value, p)};")
            elif value is None:
                out.append(f"  {p.base} *{p.name} = 0;")
            else:
                items = [ord(ch) for ch in value] + [0] if p.role == "string" else (value if isinstance(value, list) else [value])
                size = len(items)
                data = ", ".join(_c_literal(v, p) for v in items) or "0"
                out += [f"  {p.base} {p.name}_data[] = {{{data}}};",
                        f"  {p.base} *{p.name} = malloc(sizeof({p.base}) * ({size} + suture_extra));",
                        f"  if ({size}) memcpy({p.name}, {p.name}_data, sizeof({p.base}) * {size});",
                        f"  for (int i = {size}; i < {size} + suture_extra; i++) {p.name}[i] = ({p.base}) suture_pad;"]
                shown.append((p, str(size)))
        call = f"{func.name}({', '.join(p.name for p in func.params)})"
        if func.returns == "void":
            out += [f"  {call};", f'  printf("R {k} ret=void");']
        elif func.returns == "pointer":
            out += [f"  void *r = (void *) {call};", f'  printf("R {k} ret=%s", r ? "ptr" : "null");']
        elif func.returns == "float":
            out += [f"  double r = (double) {call};", f'  printf("R {k} ret=%a", r);']
        else:
            out += [f"  long long r = (long long) {call};", f'  printf("R {k} ret=%lld", r);']
        for p, size in shown:
            fmt = '"%a,", (double)' if p.floating else '"%lld,", (long long)'
            out += [f'  printf(" {p.name}=[");',
                    f"  for (int i = 0; i < {size}; i++) printf({fmt} {p.name}[i]);",
                    '  printf("]");']
        out += ['  printf("\\n");', "}", ""]
    out.append("static void (*suture_cases[])(void) = {" + ", ".join(f"suture_case_{k}" for k in range(len(cases))) + "};")
    out += ["", "int main(int argc, char **argv) {",
            "  suture_pad = argc > 1 ? atoll(argv[1]) : 0;",
            "  suture_extra = argc > 2 ? atoi(argv[2]) : 0;",
            f"  for (int k = 0; k < {len(cases)}; k++) {{",
            "    fflush(stdout);",
            '    fprintf(stderr, "\\nSUTURE-CASE %d\\n", k);',
            "    fflush(stderr);",
            "    pid_t pid = fork();",
            f"    if (pid == 0) {{ alarm({CASE_SECONDS}); suture_cases[k](); fflush(stdout); _exit(0); }}",
            "    int status = 0;",
            "    waitpid(pid, &status, 0);",
            '    printf("S %d %d\\n", k, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));',
            "  }", "  return 0;", "}", ""]
    return "\n".join(out)


def _struct_lines(p: Param, value: dict[str, Any] | None) -> list[str]:
    literal = lambda v, floating: repr(float(v)) if floating or isinstance(v, float) else str(int(v))  # noqa: E731
    if p.pointer and value is None:
        return [f"  {p.base} *{p.name} = 0;"]
    if p.pointer:
        return [f"  {p.base} *{p.name} = calloc(1, sizeof(*{p.name}));",
                *c_structs.driver_lines(f"(*{p.name})", p.shape, value, literal)]
    return [f"  {p.base} {p.name};", f"  memset(&{p.name}, 0, sizeof {p.name});",
            *c_structs.driver_lines(p.name, p.shape, value, literal)]


@dataclass
class Run:
    """One driver run: per case, the output line (None when none) and the exit status; failure kinds."""

    outputs: dict[int, str | None]
    status: dict[int, int]
    kinds: dict[int, str]  # case -> "heap" (past a harness buffer), "freed" (freed memory), "other"


def compile_c(source: Path, out: Path, include_dirs: tuple[Path, ...], *, sanitize: bool, want_error: bool = False):
    flags = ["-std=gnu11", "-O0", "-g", "-w"]
    if sanitize:
        flags += ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
    # The project's sources reach gcc (its #include, its flags); it gets the environment minus the secrets.
    done = subprocess.run(["gcc", *flags, *[a for d in include_dirs for a in ("-I", str(d))], str(source), "-o", str(out)],
                          capture_output=True, text=True, timeout=120, env=project_env(), stdin=subprocess.DEVNULL)
    if done.returncode == 0:
        return True
    return first_error(done.stderr) if want_error else False


def first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()
    return (stderr.strip().splitlines() or ["gcc failed"])[-1]


def run_driver(binary: Path, pad: int, extra: int) -> Run:
    env = {"ASAN_OPTIONS": "detect_leaks=0:exitcode=86", "UBSAN_OPTIONS": "halt_on_error=1:exitcode=86",
           "PATH": "/usr/bin:/bin"}
    done = run_bounded([str(binary), str(pad), str(extra)], cwd=binary.parent,
                       time_limit=CASE_SECONDS * MAX_CASES + 10, env=env,
                       memory_limit=None)  # AddressSanitizer reserves terabytes of address space
    outputs: dict[int, str | None] = {}
    status: dict[int, int] = {}
    for line in done.stdout.splitlines():
        match = re.match(r"^R (\d+) (.*)$", line)
        if match:
            outputs[int(match.group(1))] = line
        match = re.match(r"^S (\d+) (-?\d+)$", line)
        if match:
            status[int(match.group(1))] = int(match.group(2))
    kinds = {}
    for section in done.stderr.split("\nSUTURE-CASE ")[1:]:
        number, _, text = section.partition("\n")
        if number.strip().isdigit():
            kinds[int(number)] = "heap" if "heap-buffer-overflow" in text else \
                "freed" if "heap-use-after-free" in text or "double-free" in text else "other"
    return Run(outputs, status, kinds)

