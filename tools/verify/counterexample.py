"""Counterexamples, replayed in CPython and written down as pytest tests.

A backend's counterexample is evidence only once plain CPython reproduces it:
ESBMC models Python ints as 64-bit words and lists as C pointers, CrossHair may
meet nondeterminism, and a generated input may not even have the annotated type.
`replay` runs the function on the inputs in a fresh interpreter (a subprocess
with a wall-clock kill) and says whether the failure is real.

The child side of `replay` (and the loaders the Hypothesis backend reuses) live
here too: this module runs as `python -m suture.tools.verify.counterexample` with a
JSON request on stdin and one JSON object on stdout.

Over 600 lines as one concept: replaying a backend's counterexample in CPython and
writing it down as a pytest test read the same inputs the same way.
"""

from __future__ import annotations

import ast
import copy
import importlib
import importlib.util
import json
import sys
import traceback
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.tools.verify.values import STANDALONE_SAME, Consumed, Incomparable, consume, qualified_name, same_value, short_repr
from suture.tools.verify.verifier_core import BYTECODE_ENV, bytecode_name, child_env, import_root, module_name, run_bounded

__all__ = ["ReplayResult", "replay", "write_pytest_test"]

# Names a repr may use that are not literals: float("nan") prints as nan.
_REPR_NAMES = {"nan": float("nan"), "inf": float("inf")}


@dataclass
class ReplayResult:
    """status: "reproduced" (a real failure), "expected" (a documented exception or a broken
    precondition), "not_reproduced" (CPython behaves), "unreplayable" (inputs cannot be rebuilt
    or are not of the annotated types), "timed_out" (it did not finish within its limit: the input
    may hang the function, or the machine is loaded), "error" (the replay itself failed)."""

    status: str
    message: str
    location: str = ""  # "path:line" relative to the target's root when inside it
    condition: str | None = None  # the postcondition's source when one was false
    expected: str | None = None  # equivalence: the base's outcome, described
    actual: str | None = None  # equivalence: the candidate's outcome, described
    expected_value: str | None = None  # equivalence: repr of the base's return value
    expected_exception: str | None = None  # equivalence: "module.Name" of the base's exception
    args_after: dict[str, str] = field(default_factory=dict)  # equivalence: base's arguments after the call

    @property
    def reproduced(self) -> bool:
        return self.status == "reproduced"


# ====================================================================== parent side


def replay(target: Any, inputs: dict[str, str], *, kind: str = "contracts", float_policy: str = "exact",
           time_limit: float = 10.0) -> ReplayResult:
    """Run `target`'s function on `inputs` (repr strings) in a fresh CPython.

    kind "contracts": reproduced when it raises an undocumented exception or a PEP 316 /
    icontract / deal postcondition is false (preconditions must hold first).
    kind "equivalence": reproduced when the base version (target.base_source) and the
    current one differ in return value, mutated arguments or exception type.
    """
    import tempfile


    root = import_root(target.file)
    with tempfile.TemporaryDirectory(prefix="suture-replay-") as tmp:
        request = {
            "kind": kind,
            "root": str(root),
            "module": module_name(target.file.resolve().relative_to(root).as_posix()),
            "file": str(target.file.resolve()),
            "function": target.function,
            "inputs": inputs,
            "float_policy": float_policy,
            "base_file": None,
            "param_types": dict(getattr(target, "param_types", None) or {}),
        }
        if kind == "equivalence":
            base = Path(tmp) / "base" / target.file.name
            base.parent.mkdir()
            base.write_text(target.base_source or "", encoding="utf-8")
            request["base_file"] = str(base)
        done = run_bounded([sys.executable, "-m", "suture.tools.verify.counterexample"], cwd=Path(tmp),
                           time_limit=time_limit, env=child_env(root), stdin=json.dumps(request))
    if done.timed_out:
        return ReplayResult("timed_out", f"the replay did not finish within {time_limit:.1f} s")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return ReplayResult("error", f"the replay crashed: {tail[0]}")
    result = ReplayResult(**answer)
    result.location = _relative_location(result.location, target.root)
    return result


def _relative_location(location: str, root: Path) -> str:
    path, sep, line = location.rpartition(":")
    if not sep:
        return location
    try:
        return f"{Path(path).resolve().relative_to(root.resolve()).as_posix()}:{line}"
    except ValueError:
        return location


def write_pytest_test(target: Any, inputs: dict[str, str], result: ReplayResult, dest: Path, *,
                      kind: str = "contracts", note: str = "") -> Path:
    """Write a pytest file at `dest` that fails on the current code for this counterexample.

    contracts: calls the function (an undocumented exception fails the test) and asserts the
    postcondition that was false. equivalence: asserts the base's return value, exception
    type and argument values after the call. Returns `dest`; raises ValueError when the
    result is not a reproduced counterexample or the base's value cannot be written as code.
    """

    if not result.reproduced:
        raise ValueError(f"only a reproduced counterexample becomes a test (this one is {result.status}).")
    root = import_root(target.file)
    module = module_name(target.file.resolve().relative_to(root).as_posix())
    dest = Path(dest)
    func = target.function
    name = "test_" + func.replace(".", "_") + ("_matches_base" if kind == "equivalence" else "_counterexample")
    lines = [
        f'"""Counterexample for {module}.{func} found by suture{f" ({note})" if note else ""}.',
        "",
        f"{_one_line(result.message)}",
        'Replayed in CPython; this test fails as long as the defect is there."""',
        "",
        "import copy",
        "import importlib",
        "import math",
        "import sys",
        "import types",
        "from pathlib import Path",
        "",
        "import pytest",
        "",
    ]
    try:
        up = len(dest.resolve().parent.relative_to(root.resolve()).parts)
        lines.append(f"sys.path.insert(0, str(Path(__file__).resolve().parents[{up}]))")
    except ValueError:
        lines.append(f"sys.path.insert(0, {str(root)!r})")
    lines += [
        f"_module = importlib.import_module({module!r})",
        "_names = {**vars(_module), 'nan': float('nan'), 'inf': float('inf')}",
        "",
        "",
        *STANDALONE_SAME.splitlines(),
        "",
        "",
        f"def {name}():",
    ]
    for param, expr in inputs.items():
        lines.append(f"    {_ident(param)} = {_expr(expr)}")
    if any(p.startswith("*") and not p.startswith("**") for p in inputs):
        call_args = ", ".join(_call_arg(p) if p.startswith("*") else p for p in inputs)  # positionals before *rest
    else:
        call_args = ", ".join(_call_arg(p) for p in inputs)
    call = f"_module.{func}({call_args})"
    lines += _checks(kind, call, inputs, result)
    text = "\n".join(lines) + "\n"
    ast.parse(text)  # the file must be valid Python before anyone sees it
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    return dest


def _checks(kind: str, call: str, inputs: dict[str, str], result: ReplayResult) -> list[str]:
    """The test body's call and what it asserts: the base's behaviour (equivalence), the false
    postcondition (contracts), or only the call (an undocumented exception fails it)."""
    lines: list[str] = []
    if kind == "equivalence":
        if result.expected_exception:
            exc_module, _, exc_name = result.expected_exception.rpartition(".")
            lines.append(f"    expected = getattr(importlib.import_module({exc_module!r}), {exc_name!r})")
            lines.append("    with pytest.raises(expected):")
            lines.append(f"        {call}")
        else:
            if result.expected_value is None:
                raise ValueError("the base's return value is unknown.")
            lines.append(f"    result = {call}")
            lines.append(f"    assert _same(result, {_expr(result.expected_value)}), result")
        for param, after in result.args_after.items():
            if param in inputs and not param.startswith("*"):
                lines.append(f"    assert _same({_ident(param)}, {_expr(after)}), {_ident(param)}")
    elif result.condition:
        old = [p for p in inputs if not p.startswith("*")]
        lines.append("    __old__ = types.SimpleNamespace(" + ", ".join(f"{_ident(p)}=copy.deepcopy({_ident(p)})" for p in old) + ")")
        lines.append(f"    result = {call}")
        bindings = ", ".join(f"{p!r}: {_ident(p)}" for p in old)
        lines.append(f"    scope = {{**_names, {bindings}{', ' if bindings else ''}'__return__': result, '_': result, '__old__': __old__}}")
        lines.append(f"    assert eval({result.condition!r}, scope), {('postcondition ' + result.condition)!r}")
    else:
        lines.append(f"    {call}  # {_one_line(result.message)[:100]}")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace('"""', "'''")


def _ident(param: str) -> str:
    return param.lstrip("*")


def _call_arg(param: str) -> str:
    """"*rest" and "**options" keep their stars in the call; a plain name goes by keyword (order-proof)."""
    stars = len(param) - len(param.lstrip("*"))
    return "*" * stars + _ident(param) if stars else f"{param}={param}"


def _expr(source: str) -> str:
    """A repr as code: literals verbatim, anything else evaluated in the module's namespace."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return f"eval({source!r}, _names)"
    if all(isinstance(n, (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.UnaryOp, ast.USub, ast.UAdd,
                          ast.Load, ast.Expression)) for n in ast.walk(tree)):
        return source
    return f"eval({source!r}, _names)"


# ====================================================================== child side


def load_module(root: str, module: str) -> types.ModuleType:
    if root not in sys.path:
        sys.path.insert(0, root)
    if module not in sys.modules:
        _load_precompiled(module)
    return importlib.import_module(module)


def _load_precompiled(name: str) -> None:
    """Import `name` from the code tools/verifier.precompile left for it, when there is some for
    this very content of its file (a large module then compiles once, not once per child)."""
    import marshal
    import os


    cache = os.environ.get(BYTECODE_ENV)
    if not cache:
        return
    try:
        spec = importlib.util.find_spec(name)  # imports the parent packages, as an import would
        if spec is None or not spec.has_location or not (spec.origin or "").endswith(".py"):
            return
        origin = str(Path(spec.origin).resolve())
        cached = Path(cache) / bytecode_name(Path(origin).read_bytes(), origin)
        if not cached.is_file():
            return
        code = marshal.loads(cached.read_bytes())
    except (ImportError, OSError, ValueError, EOFError):
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)  # noqa: S102 - the module's own code, compiled from this content
    except BaseException:
        sys.modules.pop(name, None)
        raise
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)


def load_base_module(module: str, base_file: str) -> types.ModuleType:
    """The base version of `module`, loaded from `base_file` as a sibling in the same package.

    A sibling, so that its relative and absolute imports resolve as the original's do (to
    the current versions of the other modules: only this file differs).
    """
    package, _, stem = module.rpartition(".")
    name = (package + "." if package else "") + "_suture_base_" + stem
    spec = importlib.util.spec_from_file_location(name, base_file)
    assert spec and spec.loader
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def resolve(module: types.ModuleType, qualname: str) -> Any:
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def typed_view(fn: Any, param_types: dict[str, str] | None) -> Any:
    """`fn` as a function whose unannotated parameters carry `param_types` (type expressions
    such as "list[int]" or "str | None", from tools/verify/arg_types.py), so that a backend that
    draws inputs from annotations (Hypothesis, CrossHair) draws the types the tests use.
    The view only forwards the call; `fn` itself is untouched. Unknown types are skipped.
    """
    if not param_types or not callable(fn):
        return fn
    import builtins
    import inspect

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn
    params, hints = [], dict(getattr(fn, "__annotations__", {}) or {})
    for param in signature.parameters.values():
        text = param_types.get(param.name)
        if text and param.annotation is param.empty:
            try:
                hint = eval(text, {"__builtins__": builtins})  # our own rendering: names, [], | only
            except Exception:
                hint = None
            if hint is not None:
                param = param.replace(annotation=hint)
                hints[param.name] = hint
        params.append(param)

    def view(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    view.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    view.__annotations__ = hints
    view.__name__, view.__qualname__, view.__module__ = fn.__name__, fn.__qualname__, fn.__module__
    view.__doc__ = fn.__doc__
    return view


def build_arguments(fn: Any, module: types.ModuleType, inputs: dict[str, str]) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """(args, kwargs, by_name) from repr strings; '*name' holds extra positionals, '**name' extra keywords."""
    import inspect

    names = {**vars(module), **_REPR_NAMES}
    values = {param: eval(expr, names) for param, expr in inputs.items()}  # noqa: S307 - our own reprs
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    by_keyword = False  # after a skipped optional parameter, the rest must go by name
    for param in inspect.signature(fn).parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            args.extend(values.get("*" + param.name, ()))
        elif param.kind is param.VAR_KEYWORD:
            kwargs.update(values.get("**" + param.name, {}))
        elif param.name in values:
            if param.kind is param.KEYWORD_ONLY or by_keyword:
                kwargs[param.name] = values[param.name]
            else:
                args.append(values[param.name])
        elif param.default is param.empty:
            raise ValueError(f"no value for parameter {param.name}")
        else:
            by_keyword = True
    by_name = {k: v for k, v in values.items() if not k.startswith("*")}
    return args, kwargs, by_name


def conforms(value: Any, hint: Any) -> bool:
    """Does `value` have the annotated type? Unknown hints conform (only clear mismatches count)."""
    if hint is Any or hint is None and value is None:
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or (hasattr(types, "UnionType") and isinstance(hint, types.UnionType)):
        return any(conforms(value, option) for option in args)
    if origin in (list, set, frozenset):
        return isinstance(value, origin) and all(conforms(v, args[0]) for v in value) if args else isinstance(value, origin)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(conforms(v, args[0]) for v in value)
        return not args or (len(args) == len(value) and all(conforms(v, a) for v, a in zip(value, args)))
    if origin is dict:
        return isinstance(value, dict) and (not args or all(conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items()))
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, float)
    if hint is int:
        return isinstance(value, int)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _type_mismatch(fn: Any, by_name: dict[str, Any], param_types: dict[str, str] | None = None) -> str | None:
    """Why an input is not of its parameter's type: the annotation, else the type the tests
    call the function with (`param_types`, tools/verify/arg_types.py); None when all conform."""
    import builtins

    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    for name, value in by_name.items():
        if name in hints and not conforms(value, hints[name]):
            return f"input {name}={value!r} is not a {getattr(hints[name], '__name__', hints[name])}"
        text = (param_types or {}).get(name)
        if name in hints or not text:
            continue
        try:
            inferred = eval(text, {"__builtins__": builtins})  # our own rendering: names, [], | only
        except Exception:
            continue
        if not conforms(value, inferred):
            return f"input {name}={short_repr(value, 80)} is not a {text}, the type the tests call it with"
    return None


def _conditions(fn: Any) -> Any:
    """CrossHair's reading of the function's PEP 316 / icontract / deal contracts, None if none."""
    try:
        from crosshair.condition_parser import condition_parser
        from crosshair.fnutil import FunctionInfo
        from crosshair.options import AnalysisKind
    except ImportError:
        return None
    with condition_parser([AnalysisKind.PEP316, AnalysisKind.icontract, AnalysisKind.deal]) as parser:
        return parser.get_fn_conditions(FunctionInfo.from_fn(fn))


def documented_exceptions(fn: Any, module: types.ModuleType, conditions: Any) -> tuple[type, ...]:
    """Exception types the function declares (PEP 316 `raises:`, Sphinx/Google docstrings) or
    raises itself with a `raise` statement: deliberate, so not a crash."""
    found: set[type] = set(getattr(conditions, "raises", ()) or ())
    import inspect
    import re
    import textwrap

    doc = inspect.getdoc(fn) or ""
    names = re.findall(r"^\s*raises\s*:\s*(.+)$", doc, re.M | re.I)
    names = [n.strip() for chunk in names for n in chunk.split(",")]
    names += re.findall(r":raises\s+([\w.]+)\s*:", doc)
    names += re.findall(r"^\s{2,}([A-Z]\w*(?:Error|Exception|Warning))\s*:", doc, re.M)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(raised, (ast.Name, ast.Attribute)):
                    names.append(ast.unparse(raised))
    except (OSError, TypeError, SyntaxError):
        pass
    import builtins

    scope = {**vars(builtins), **vars(module)}
    for name in names:
        try:
            value = eval(name, scope)  # noqa: S307 - names from the function's own source
        except Exception:
            continue
        if isinstance(value, type) and issubclass(value, BaseException):
            found.add(value)
    return tuple(found)


def _leading_assert_lines(fn: Any) -> set[int]:
    """Lines of the asserts a function starts with: CrossHair's asserts mode reads them as preconditions."""
    import inspect
    import textwrap

    try:
        lines, first = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return set()
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    found = set()
    for stmt in body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue
        if not isinstance(stmt, ast.Assert):
            break
        found.update(range(first + stmt.lineno - 1, first + stmt.end_lineno))
    return found


def _failing_frame(exc: BaseException, file: str) -> tuple[str, int]:
    """The innermost frame in the target's file (else the innermost frame at all)."""
    frames = traceback.extract_tb(exc.__traceback__)
    in_file = [f for f in frames if Path(f.filename).resolve() == Path(file).resolve()]
    frame = (in_file or frames or [None])[-1]
    return (frame.filename, frame.lineno or 0) if frame else ("", 0)


def _rebuilt_arguments(fn: Any, module: Any, inputs: dict[str, Any], param_types: dict[str, str] | None = None
                       ) -> tuple | ReplayResult:
    """(args, kwargs, by_name) for `fn` from a counterexample's inputs, or why they cannot be replayed.

    An input of another type than its parameter's (annotated, or the one the tests pass) is
    no evidence: `greet(0)` failing says nothing when every caller passes a str.
    """
    try:
        args, kwargs, by_name = build_arguments(fn, module, inputs)
    except Exception as exc:
        return ReplayResult("unreplayable", f"the inputs cannot be rebuilt in CPython ({exc.__class__.__name__}: {exc})")
    mismatch = _type_mismatch(fn, by_name, param_types)
    if mismatch:
        return ReplayResult("unreplayable", mismatch)
    return args, kwargs, by_name


def _replay_contracts(request: dict[str, Any]) -> ReplayResult:
    module = load_module(request["root"], request["module"])
    fn = resolve(module, request["function"])
    rebuilt = _rebuilt_arguments(fn, module, request["inputs"], request.get("param_types"))
    if isinstance(rebuilt, ReplayResult):
        return rebuilt
    args, kwargs, by_name = rebuilt
    conditions = _conditions(fn)
    bound = {**by_name}
    for pre in getattr(conditions, "pre", ()) or ():
        if pre.evaluate is not None and not pre.evaluate({**vars(module), **bound}):
            return ReplayResult("expected", f"precondition {pre.expr_source!r} does not hold for these inputs")
    old = types.SimpleNamespace(**{k: _copy(v) for k, v in by_name.items()})
    try:
        returned = fn(*args, **kwargs)
    except Exception as exc:
        path, line = _failing_frame(exc, request["file"])
        text = f"{exc.__class__.__name__}: {exc}"
        if isinstance(exc, AssertionError) and line in _leading_assert_lines(fn) and Path(path).resolve() == Path(request["file"]).resolve():
            return ReplayResult("expected", f"a leading assert (a precondition) fails: {text}", f"{path}:{line}")
        if isinstance(exc, documented_exceptions(fn, module, conditions)):
            return ReplayResult("expected", f"raises {text}, which the function documents or raises itself", f"{path}:{line}")
        return ReplayResult("reproduced", text, f"{path}:{line}")
    scope = {**vars(module), **bound, "__return__": returned, "_": returned, "__old__": old}
    for post in getattr(conditions, "post", ()) or ():
        if post.evaluate is None:
            continue
        try:
            holds = post.evaluate(scope)
        except Exception as exc:
            return ReplayResult("reproduced", f"postcondition {post.expr_source!r} raises {exc.__class__.__name__}: {exc}",
                                f"{post.filename}:{post.line}", condition=post.expr_source)
        if not holds:
            return ReplayResult("reproduced", f"postcondition {post.expr_source!r} is false (returns {short_repr(returned)})",
                                f"{post.filename}:{post.line}", condition=post.expr_source)
    return ReplayResult("not_reproduced", f"CPython runs it without failure (returns {short_repr(returned)})")


@dataclass
class Outcome:
    returned: Any = None
    raised: BaseException | None = None
    args_after: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.raised is not None:
            return f"raises {type(self.raised).__name__}: {self.raised}"
        return f"returns {short_repr(self.returned)}"


def run_outcome(fn: Any, args: list[Any], kwargs: dict[str, Any], by_name: dict[str, Any]) -> Outcome:
    """Call on deep copies; keep the return value or the exception and the arguments after the call."""
    memo: dict[int, Any] = {}
    args, kwargs = _copy(args, memo), _copy(kwargs, memo)
    watched = {name: _copy(value, memo) for name, value in by_name.items()}
    outcome = Outcome()
    try:
        # An iterator is run here, on its prefix: what it yields (and raises) is the result,
        # and its effects on the arguments belong to the call.
        outcome.returned = consume(fn(*args, **kwargs))
    except Exception as exc:
        outcome.raised = exc
    outcome.args_after = watched
    return outcome


def _copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    try:
        return copy.deepcopy(value, memo)
    except Exception:
        return value


def same_outcome(a: Outcome, b: Outcome, float_policy: str = "exact") -> bool:
    """Same exception type, or same return value and arguments after the call (tools/verify/values.py's rule).
    Raises values.Incomparable when a result cannot be compared."""
    if (a.raised is None) != (b.raised is None):
        return False
    if a.raised is not None:
        return type(a.raised) is type(b.raised) or qualified_name(type(a.raised)) == qualified_name(type(b.raised))
    if not same_value(a.returned, b.returned, float_policy):
        return False
    return all(same_value(a.args_after[k], b.args_after.get(k), float_policy) for k in a.args_after)


def _replay_equivalence(request: dict[str, Any]) -> ReplayResult:
    module = load_module(request["root"], request["module"])
    base_module = load_base_module(request["module"], request["base_file"])
    fn = resolve(module, request["function"])
    base_fn = resolve(base_module, request["function"])
    rebuilt = _rebuilt_arguments(fn, module, request["inputs"], request.get("param_types"))
    if isinstance(rebuilt, ReplayResult):
        return rebuilt
    args, kwargs, by_name = rebuilt
    expected = run_outcome(base_fn, args, kwargs, by_name)
    actual = run_outcome(fn, args, kwargs, by_name)
    policy = request.get("float_policy", "exact")
    try:
        if same_outcome(expected, actual, policy):
            return ReplayResult("not_reproduced", f"both versions behave the same in CPython ({actual.describe()})")
    except Incomparable as why:
        # Neither the same nor different: a backend's "difference" here is not evidence (CrossHair
        # compares with its own ==, and objects without one then differ by identity).
        return ReplayResult("unreplayable", f"the results cannot be compared ({why}): base {expected.describe()}, "
                                            f"candidate {actual.describe()}")
    # Where the candidate fails, else where the function starts: the difference is the whole body's.
    location = f"{request['file']}:{getattr(getattr(fn, '__code__', None), 'co_firstlineno', 0)}"
    if actual.raised is not None:
        path, line = _failing_frame(actual.raised, request["file"])
        location = f"{path}:{line}"
    changed = [k for k in expected.args_after if _differs(expected.args_after[k], actual.args_after.get(k), policy)]
    message = f"base {expected.describe()}, candidate {actual.describe()}"
    if changed and expected.raised is None and actual.raised is None and not _differs(expected.returned, actual.returned, policy):
        message = f"argument {', '.join(changed)} differs after the call: base leaves {short_repr(expected.args_after[changed[0]])}, candidate {short_repr(actual.args_after[changed[0]])}"
    return ReplayResult(
        "reproduced", message, location,
        expected=expected.describe(), actual=actual.describe(),
        expected_value=_evaluable_repr(expected.returned, module) if expected.raised is None else None,
        expected_exception=qualified_name(type(expected.raised)) if expected.raised is not None else None,
        args_after={k: r for k, v in expected.args_after.items() if (r := _evaluable_repr(v, module)) is not None},
    )


def _differs(a: Any, b: Any, policy: str) -> bool:
    try:
        return not same_value(a, b, policy)
    except Incomparable:
        return False


def _evaluable_repr(value: Any, module: types.ModuleType) -> str | None:
    """Code that evaluates to `value` (its repr; `iter([...])` for an iterator that ended), else None."""
    if isinstance(value, Consumed):
        if not value.ended or value.raised:
            return None
        text = f"iter({short_repr(value.items, limit=10_000)})"
    else:
        text = short_repr(value, limit=10_000)
    try:
        again = eval(text, {**vars(module), **_REPR_NAMES})  # noqa: S307 - our own repr
        return text if same_value(again, value) else None
    except Exception:
        return None


def _child_main() -> None:
    request = json.loads(sys.stdin.read())
    # The function may print; stdout carries our answer, so its output goes to stderr.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        if request["kind"] == "equivalence":
            result = _replay_equivalence(request)
        else:
            result = _replay_contracts(request)
    except BaseException as exc:  # the import itself failed, or the function killed the interpreter's state
        result = ReplayResult("error", f"the replay failed: {exc.__class__.__name__}: {exc}")
    sys.stdout = real_stdout
    print(json.dumps(result.__dict__))


if __name__ == "__main__":
    _child_main()
