"""Offline speed rewrites for `suture optimize`: AST-checked, behaviour-preserving, one rule at one site.

`rewrites(path, source, function)` finds every site in a function (or in the whole file)
where a rule applies and returns, per site, the whole new file text with only that rewrite
applied. Edits are made as precise replacements of source segments located with `ast`,
so the rest of the file (comments, formatting) stays byte-identical.

Each rule states its preconditions in the comment above its finder. They lean on a small
type inference (`_Types`): parameter annotations (`list[str]`, `dict[str, int]`, ...),
literals, comprehensions, builtin calls and str methods. A value counts as hashable only
when it is evidently a str/int/float/bool/bytes/None or a tuple of those: for such values
`x in set(L)` and `x in L` agree (their `__eq__` and `__hash__` are consistent, 1 == 1.0 ==
True included), and building the set cannot raise. Calls of builtins and of methods of
builtin types are assumed not to reach into other objects (no `__eq__`/`__str__` with side
effects on the caller's lists); any other call in a loop counts as opaque and makes a list
that might be aliased outside the function (a parameter) non-stable there.

The optimize pipeline still gates every rewrite on the tests, differential equivalence
and timing; the rules do not rely on that.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from suture.retrieval.positions import LineTable

# Best bets first: rules that remove a factor of n before those that shave a constant.
RULES: tuple[str, ...] = (
    "list-membership-to-set",
    "seen-list-to-set",
    "hoist-invariant-call",
    "count-to-counter",
    "str-concat-to-join",
    "pop0-to-deque",
    "insert0-to-append-reverse",
    "sorted-index-to-min-max",
    "any-all-generator",
    "dict-keys-membership",
    "regex-compile-to-module",
    "const-list-membership-to-set",
    "method-alias-in-loop",
)


@dataclass(frozen=True)
class PerfRewrite:
    rule: str
    path: str
    function: str
    line: int
    description: str
    new_source: str


def rewrites(path: str, source: str, function: str | None = None) -> list[PerfRewrite]:
    """Every applicable rewrite in `function` (qualname) or in the whole file; [] when the file does not parse."""
    try:
        tree = ast.parse(source)
        module = _Module(source, tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[tuple[int, int, PerfRewrite]] = []
    seen_sources: set[str] = set()
    for qualname, fn in module.functions:
        if function is not None and qualname != function:
            continue
        try:
            ctx = _Func(module, fn)
        except RecursionError:  # absurdly deep expressions: no rewrite rather than a crash
            continue
        for finder in _FINDERS:
            try:
                sites = list(finder(ctx))
            except RecursionError:
                sites = []
            for site in sites:
                new_source = _apply(source, site.edits)
                if new_source == source or new_source in seen_sources:
                    continue
                try:
                    ast.parse(new_source)
                except (SyntaxError, ValueError):
                    continue
                seen_sources.add(new_source)
                first_line = source.count("\n", 0, min(e.start for e in site.edits)) + 1
                found.append((site.weight, site.line, PerfRewrite(site.rule, path, qualname, first_line, site.description, new_source)))
    found.sort(key=lambda item: (RULES.index(item[2].rule), -item[0], item[1]))
    return [r for _, _, r in found]


# -- source editing ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Edit:
    start: int  # character offsets into the source, end exclusive
    end: int
    text: str


@dataclass
class _Site:
    rule: str
    line: int
    description: str
    edits: list[_Edit]
    weight: int = 0  # within a rule, heavier sites first (a hoisted sort before a hoisted len)


def _apply(source: str, edits: list[_Edit]) -> str:
    out = source
    last = None
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if last is not None and edit.end > last:  # overlapping edits: refuse the site
            return source
        out = out[:edit.start] + edit.text + out[edit.end:]
        last = edit.start
    return out


class _Module:
    def __init__(self, source: str, tree: ast.Module):
        self.source = source
        self.tree = tree
        # Lines as `ast` counts them (retrieval/positions.py): str.splitlines also split at form
        # feeds, which shifted every span after one and dropped the file's rewrites.
        self._table = LineTable(source)
        self.lines = self._table.lines
        self.line_starts = self._table.starts
        # Module-wide facts, gathered in one walk (every function's analysis consults them).
        self.parents: dict[ast.AST, ast.AST] = {}
        nodes = list(ast.walk(tree))
        for node in nodes:
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.imports = [n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))]
        self.stored_names = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        self.arg_names = {a.arg for a in nodes if isinstance(a, ast.arg)}
        defined = {n.name for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        imported = {(a.asname or a.name).split(".")[0] for n in self.imports for a in n.names}
        self.all_names = {n.id for n in nodes if isinstance(n, ast.Name)} | self.arg_names | defined | imported
        # names that may shadow a builtin for a function's code
        self.module_bound = self.stored_names | imported | {
            s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
        self.functions = list(_functions(tree))
        self._taken: set[str] = set()
        self._imported: dict[str, bool] = {}

    def offset(self, lineno: int, col: int) -> int:
        return self._table.offset(lineno, col)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def atom(self, node: ast.AST) -> str:
        """Source text safe as an operand of a binary operator or call argument."""
        text = self.text(node)
        if isinstance(node, (ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript, ast.JoinedStr,
                             ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp)):
            return text
        return f"({text})"

    def replace(self, node: ast.AST, text: str) -> _Edit:
        start, end = self.span(node)
        return _Edit(start, end, text)

    def starts_line(self, stmt: ast.stmt) -> bool:
        line = self.lines[stmt.lineno - 1].encode("utf-8")
        if isinstance(stmt, ast.If) and line[stmt.col_offset:].startswith(b"elif"):
            return False  # nothing can go between an if-body and its elif
        return line[:stmt.col_offset].strip() == b""

    def indent(self, stmt: ast.stmt) -> str:
        line = self.lines[stmt.lineno - 1]
        return line[:len(line) - len(line.lstrip())]

    def insert_before(self, stmt: ast.stmt, code: str) -> _Edit | None:
        if not self.starts_line(stmt):
            return None
        at = self.line_starts[stmt.lineno - 1]
        return _Edit(at, at, f"{self.indent(stmt)}{code}\n")

    def insert_after(self, stmt: ast.stmt, code: str) -> _Edit | None:
        if not self.starts_line(stmt):
            return None
        end_line = stmt.end_lineno
        rest = self.lines[end_line - 1].encode("utf-8")[stmt.end_col_offset:].decode("utf-8", "replace")
        if rest.strip() and not rest.strip().startswith("#"):
            return None  # `a; b` on one line: leave it alone
        at = self.line_starts[end_line]
        prefix = "" if self.source[:at].endswith("\n") else "\n"
        return _Edit(at, at, f"{prefix}{self.indent(stmt)}{code}\n")

    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base)
        name, n = base, 2
        while name in self.all_names or name in self._taken:
            name, n = f"{base}_{n}", n + 1
        self._taken.add(name)
        return name

    def module_insert_point(self) -> int | None:
        """Offset after the leading docstring and imports (where module constants go)."""
        body = self.tree.body
        last = None
        for i, stmt in enumerate(body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) or (
                    i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                last = stmt
            else:
                break
        if last is None:
            return None
        at = self.line_starts[last.end_lineno] if last.end_lineno < len(self.line_starts) else len(self.source)
        return at

    def imported_module(self, name: str) -> bool:
        """`name` is bound only by a top-level `import name` among the leading imports and never rebound."""
        if name not in self._imported:
            self._imported[name] = self._is_imported_module(name)
        return self._imported[name]

    def _is_imported_module(self, name: str) -> bool:
        point = self.module_insert_point()
        if point is None or name in self.stored_names or name in self.arg_names:
            return False
        imports = [s for s in self.imports if any((a.asname or a.name).split(".")[0] == name for a in s.names)]
        return bool(imports) and all(
            isinstance(s, ast.Import) and s in self.tree.body and self.offset(s.end_lineno, 0) < point
            and all(a.name == name and a.asname is None for a in s.names if (a.asname or a.name) == name)
            for s in imports)

    def need_import(self, module: str, name: str) -> tuple[str, list[_Edit]] | None:
        """How to refer to `module.name` (e.g. collections.deque): an existing binding or one added import."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module == module and stmt.level == 0:
                for alias in stmt.names:
                    if alias.name == name:
                        bound = alias.asname or name
                        if self._rebound(bound, stmt):
                            return None
                        return bound, []
        if name in self.all_names:
            return None
        at = self.module_insert_point()
        text = f"from {module} import {name}\n"
        if at is None:
            at = self._after_header()
        return name, [_Edit(at, at, text)]

    def _rebound(self, name: str, importer: ast.stmt) -> bool:
        if name in self.stored_names or name in self.arg_names:
            return True
        return any(node is not importer and any((a.asname or a.name.split(".")[0]) == name for a in node.names)
                   for node in self.imports)

    def _after_header(self) -> int:
        at = 0
        for i, line in enumerate(self.lines):
            if line.startswith("#") or not line.strip():
                at = self.line_starts[i + 1]
            else:
                break
        return at


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    def visit(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qual = f"{prefix}{child.name}"
                yield qual, child
                yield from visit(child, qual + ".")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, f"{prefix}{child.name}.")
            else:
                yield from visit(child, prefix)
    yield from visit(tree, "")


# -- a small type inference -------------------------------------------------------------------

HASHABLE_ATOMS = {"str", "int", "float", "bool", "bytes", "none"}
_CONTAINERS = {"list", "tuple", "set", "iter", "dict"}
_ANN = {"str": "str", "int": "int", "float": "float", "bool": "bool", "bytes": "bytes", "None": "none"}
_ANN_LIST = {"list", "List", "MutableSequence"}
_ANN_ITER = {"Sequence", "Iterable", "Iterator", "Collection", "Reversible"}
_ANN_SET = {"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"}
_ANN_DICT = {"dict", "Dict", "Mapping", "MutableMapping"}
_STR_TO_STR = {"lower", "upper", "strip", "lstrip", "rstrip", "replace", "title", "casefold", "capitalize",
               "format", "join", "zfill", "center", "ljust", "rjust", "expandtabs", "removeprefix",
               "removesuffix", "swapcase", "translate"}
_STR_TO_INT = {"count", "find", "rfind", "index", "rindex"}
_STR_TO_BOOL = {"startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper",
                "isnumeric", "isdecimal", "isidentifier", "istitle", "isascii", "isprintable"}
_NON_MUTATING = {"count", "index", "copy", "get", "keys", "values", "items", "__contains__", "__len__",
                 "union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset",
                 "isdisjoint"} | _STR_TO_STR | _STR_TO_INT | _STR_TO_BOOL | {"split", "rsplit", "splitlines",
                                                                               "encode", "partition", "rpartition"}
PURE_BUILTINS = {"len", "abs", "min", "max", "sum", "sorted", "reversed", "enumerate", "zip", "range", "str",
                 "int", "float", "bool", "tuple", "list", "set", "frozenset", "dict", "repr", "ord", "chr",
                 "any", "all", "isinstance", "round", "divmod", "hash", "iter", "format"}


def _is_hashable(t) -> bool:
    if t in HASHABLE_ATOMS or t == "hashable":
        return True
    return isinstance(t, tuple) and t[0] == "tuple" and _is_hashable(t[1])


def _elem(t):
    if isinstance(t, tuple) and t[0] in ("list", "tuple", "set", "iter", "dict"):
        return t[1]
    if t == "str":
        return "str"
    return None


def _join(types):
    types = list(types)
    if not types or any(t is None for t in types):
        return None
    if all(t == types[0] for t in types):
        return types[0]
    if all(_is_hashable(t) for t in types):
        return "hashable"
    return None


def _ann_type(node):
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Name):
        return _ANN.get(node.id)
    if isinstance(node, ast.Constant) and node.value is None:
        return "none"
    if isinstance(node, ast.Subscript):
        base = node.value.id if isinstance(node.value, ast.Name) else (
            node.value.attr if isinstance(node.value, ast.Attribute) else None)
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base in _ANN_LIST and len(args) == 1:
            return ("list", _ann_type(args[0]))
        if base in _ANN_ITER and len(args) == 1:
            return ("iter", _ann_type(args[0]))
        if base in _ANN_SET and len(args) == 1:
            return ("set", _ann_type(args[0]))
        if base in _ANN_DICT and len(args) == 2:
            return ("dict", _ann_type(args[0]), _ann_type(args[1]))
        if base in ("tuple", "Tuple"):
            if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                return ("tuple", _ann_type(args[0]))
            inner = [_ann_type(a) for a in args]
            return ("tuple", _join(inner), tuple(inner)) if all(_is_hashable(t) for t in inner) else None
    return None


_FUNC_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """Nodes of fn's body, not descending into nested functions, lambdas or classes."""
    stack = list(fn.body) if hasattr(fn, "body") else [fn]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _FUNC_NODES):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _walk_region(node: ast.AST) -> Iterator[ast.AST]:
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        if isinstance(cur, _FUNC_NODES) and cur is not node:
            continue
        stack.extend(ast.iter_child_nodes(cur))


class _Func:
    def __init__(self, module: _Module, fn: ast.AST):
        self.m = module
        self.fn = fn
        # in source order, so fresh names and sites are numbered top to bottom
        self.nodes = sorted(_own_nodes(fn), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        args = fn.args
        self.params = {a.arg: a for a in args.posonlyargs + args.args + args.kwonlyargs}
        if args.vararg:
            self.params[args.vararg.arg] = None
        if args.kwarg:
            self.params[args.kwarg.arg] = None
        self.declared = set()
        for node in self.nodes:
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                self.declared |= set(node.names)
        self.nested_refs = set()
        for node in self.nodes:
            if isinstance(node, _FUNC_NODES):
                self.nested_refs |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        self.module_bound = module.module_bound
        self.bindings: dict[str, list] = {}  # name -> binding nodes (Assign/For/...); params excluded
        for node in self.nodes:
            for name in _bound_names(node):
                self.bindings.setdefault(name, []).append(node)
        self.types = self._infer()

    # ---- types
    def _infer(self) -> dict:
        """Types of parameters and locals. Optimistic for self-referential rebinding
        (`word = word.strip()`, `s += piece`): assumed from the other bindings, then every binding
        is re-checked under the final types and a name whose bindings disagree becomes unknown."""
        env: dict = {}
        for name, arg in self.params.items():
            if arg is not None and name not in self.bindings:
                env[name] = _ann_type(arg.annotation)

        def binding_types(name, current):
            types = [(self._binding_type(name, node, current), _refers_to(node, name))
                     for node in self.bindings[name]]
            if name in self.params:
                arg = self.params[name]
                types.append((_ann_type(arg.annotation) if arg is not None else None, False))
            return types

        for _ in range(3):
            for name in self.bindings:
                types = binding_types(name, env)
                base = [t for t, self_ref in types if not self_ref]
                if base and all(t is None for t, self_ref in types if self_ref):
                    env[name] = _join(base)
                else:
                    env[name] = _join(t for t, _ in types)
        for _ in range(4):
            changed = False
            for name in self.bindings:
                if env.get(name) is not None and (name in self.declared
                                                  or _join(t for t, _ in binding_types(name, env)) != env[name]):
                    env[name] = None
                    changed = True
            if not changed:
                break
        return env

    def _binding_type(self, name, node, env):
        if isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                chain, cur = [], node.value
                while isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Add):
                    chain.append(cur.right)
                    cur = cur.left
                if chain and _is_name(cur, name):
                    # `s = s + a + b` keeps s's type when every piece has it, like `s += piece`
                    pieces = {self.type_of(p, env) for p in chain}
                    return pieces.pop() if len(pieces) == 1 and pieces <= {"str", "int"} else None
                return self.type_of(node.value, env)
            return None
        if isinstance(node, ast.AnnAssign):
            return _ann_type(node.annotation) if node.value is not None else None
        if isinstance(node, ast.AugAssign):
            # `s += piece` keeps s's type when piece has it (str, int); any other binding of s decides the rest.
            value = self.type_of(node.value, env)
            return value if isinstance(node.op, ast.Add) and value in ("str", "int") else None
        if isinstance(node, (ast.For, ast.comprehension)):
            return self._target_type(name, node.target, node.iter, env)
        return None

    def _target_type(self, name, target, iterable, env):
        if isinstance(target, ast.Name):
            return _elem(self.type_of(iterable, env))
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            names = [e.id for e in target.elts]
            parts = None
            if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and not iterable.keywords:
                fname = iterable.func.id
                if fname == "enumerate" and len(iterable.args) == 1 and len(names) == 2:
                    parts = ["int", _elem(self.type_of(iterable.args[0], env))]
                elif fname == "zip" and len(iterable.args) == len(names):
                    parts = [_elem(self.type_of(a, env)) for a in iterable.args]
            elif (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute)
                  and iterable.func.attr == "items" and not iterable.args and len(names) == 2):
                t = self.type_of(iterable.func.value, env)
                if isinstance(t, tuple) and t[0] == "dict":
                    parts = [t[1], t[2]]
            else:
                elem = _elem(self.type_of(iterable, env))
                if isinstance(elem, tuple) and elem[0] == "tuple":
                    if len(elem) == 3 and len(elem[2]) == len(names):
                        parts = list(elem[2])
                    elif _is_hashable(elem):
                        parts = [elem[1]] * len(names)  # every item of a tuple of hashables is hashable
            if parts is not None and name in names:
                return parts[names.index(name)]
        return None

    def type_of(self, node, env=None):
        env = self.types if env is None else env
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                return "bool"
            return {str: "str", int: "int", float: "float", bytes: "bytes", type(None): "none"}.get(type(v))
        if isinstance(node, ast.JoinedStr):
            return "str"
        if isinstance(node, ast.Name):
            return env.get(node.id)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            kind = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set"}[type(node)]
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return (kind, None)
            types = [self.type_of(e, env) for e in node.elts]
            elem = _join(types) if node.elts else None
            if kind == "tuple" and node.elts and all(_is_hashable(t) for t in types):
                return (kind, elem, tuple(types))
            return (kind, elem)
        if isinstance(node, ast.Dict):
            if None in node.keys:
                return ("dict", None, None)
            return ("dict", _join(self.type_of(k, env) for k in node.keys) if node.keys else None,
                    _join(self.type_of(v, env) for v in node.values) if node.values else None)
        if isinstance(node, _COMPS):
            inner = self.comprehension_env(node, env)
            if isinstance(node, ast.DictComp):
                return ("dict", self.type_of(node.key, inner), self.type_of(node.value, inner))
            kind = {ast.ListComp: "list", ast.SetComp: "set", ast.GeneratorExp: "iter"}[type(node)]
            return (kind, self.type_of(node.elt, inner))
        if isinstance(node, ast.BinOp):
            left, right = self.type_of(node.left, env), self.type_of(node.right, env)
            nums = {"int", "bool"}
            if isinstance(node.op, ast.Add):
                if left == right == "str":
                    return "str"
                if isinstance(left, tuple) and left[0] == "list" and isinstance(right, tuple) and right[0] == "list":
                    return ("list", _join([left[1], right[1]]))
            if isinstance(node.op, ast.Mod) and left == "str":
                return "str"
            if isinstance(node.op, ast.Mult) and {left, right} == {"str", "int"}:
                return "str"
            if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)) and left in nums and right in nums:
                return "int"
            if left in nums | {"float"} and right in nums | {"float"} and not isinstance(node.op, (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift, ast.MatMult)):
                return "float"
            return None
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return "bool"
            t = self.type_of(node.operand, env)
            return t if t in ("int", "float") else None
        if isinstance(node, ast.Compare):
            return "bool"
        if isinstance(node, ast.BoolOp):
            return _join(self.type_of(v, env) for v in node.values)
        if isinstance(node, ast.IfExp):
            return _join([self.type_of(node.body, env), self.type_of(node.orelse, env)])
        if isinstance(node, ast.Subscript):
            t = self.type_of(node.value, env)
            if t == "str":
                return "str"
            if isinstance(node.slice, ast.Slice):
                return t if isinstance(t, tuple) and t[0] in ("list", "tuple") else None
            if isinstance(t, tuple) and t[0] in ("list", "tuple"):
                return t[1]
            if isinstance(t, tuple) and t[0] == "dict":
                return t[2]
            return None
        if isinstance(node, ast.Call):
            return self._call_type(node, env)
        return None

    def comprehension_env(self, node, env=None) -> dict:
        inner = dict(self.types if env is None else env)
        for gen in node.generators:
            for n in ast.walk(gen.target):
                if isinstance(n, ast.Name):
                    inner[n.id] = self._target_type(n.id, gen.target, gen.iter, inner)
        return inner

    def _call_type(self, node, env):
        func = node.func
        args = node.args
        if isinstance(func, ast.Name) and self.is_builtin(func.id):
            name = func.id
            first = self.type_of(args[0], env) if args else None
            if name in ("str", "repr", "chr", "format"):
                return "str"
            if name in ("int", "len", "ord", "hash"):
                return "int"
            if name == "float":
                return "float"
            if name == "bool":
                return "bool"
            if name in ("sorted", "list") and len(args) == 1:
                return ("list", _elem(first))
            if name in ("set", "frozenset") and len(args) <= 1:
                return ("set", _elem(first) if args else None)
            if name == "tuple" and len(args) == 1:
                return ("tuple", _elem(first))
            if name == "dict" and not args and not node.keywords:
                return ("dict", None, None)
            if name == "dict" and len(args) == 1 and not node.keywords and isinstance(first, tuple) and first[0] == "dict":
                return first
            if name == "range":
                return ("iter", "int")
            if name == "reversed" and len(args) == 1:
                return ("iter", _elem(first))
            if name in ("min", "max") and len(args) == 1 and not node.keywords:
                return _elem(first)
            if name == "sum" and len(args) == 1 and _elem(first) in ("int", "bool"):
                return "int"
            return None
        if isinstance(func, ast.Attribute):
            recv = self.type_of(func.value, env)
            if recv == "str":
                if func.attr in _STR_TO_STR:
                    return "str"
                if func.attr in _STR_TO_INT:
                    return "int"
                if func.attr in _STR_TO_BOOL:
                    return "bool"
                if func.attr in ("split", "rsplit", "splitlines"):
                    return ("list", "str")
                if func.attr == "encode":
                    return "bytes"
            if isinstance(recv, tuple) and recv[0] == "list" and func.attr == "pop":
                return recv[1]
            if isinstance(recv, tuple) and recv[0] == "dict" and func.attr == "get" and len(args) == 2:
                default = args[1]
                if isinstance(default, (ast.List, ast.Tuple)) and not default.elts and isinstance(recv[2], tuple) \
                        and recv[2][0] in ("list", "tuple"):
                    return recv[2]  # an empty default adds no items to iterate
                return _join([recv[2], self.type_of(default, env)])
            if isinstance(recv, tuple) and recv[0] == "dict":
                if func.attr == "keys":
                    return ("iter", recv[1])
                if func.attr == "values":
                    return ("iter", recv[2])
            if isinstance(recv, tuple) and recv[0] in ("list", "tuple") and func.attr in ("count", "index"):
                return "int"
        return None

    # ---- names, regions, stability
    def is_builtin(self, name: str) -> bool:
        return name not in self.module_bound and name not in self.bindings and name not in self.params

    def loop_ancestors(self, node: ast.AST) -> list[ast.AST]:
        """Loops (For/While statements, comprehensions) that re-run `node`, innermost first, inside fn."""
        loops = []
        child, cur = node, self.m.parents.get(node)
        while cur is not None and cur is not self.fn:
            if isinstance(cur, _FUNC_NODES):
                return []  # inside a nested function or lambda: not this function's code
            if isinstance(cur, (ast.For, ast.AsyncFor, ast.While)):
                # the body (and a while's test) re-run; the iterable, the target and the else-clause do not
                if child not in cur.orelse and child is not getattr(cur, "iter", None) \
                        and child is not getattr(cur, "target", None):
                    loops.append(cur)
            elif isinstance(cur, _COMPS):
                first = cur.generators[0]
                if not (child is first and any(n is node for n in ast.walk(first.iter))):
                    loops.append(cur)  # all but the outermost iterable runs per item
            child, cur = cur, self.m.parents.get(cur)
        return loops if cur is self.fn else []

    def statement_of(self, node: ast.AST) -> ast.stmt | None:
        cur = node
        while cur is not None and not isinstance(cur, ast.stmt):
            cur = self.m.parents.get(cur)
        return cur

    def in_block(self, stmt: ast.stmt) -> bool:
        parent = self.m.parents.get(stmt)
        return any(stmt in getattr(parent, f, []) for f in ("body", "orelse", "finalbody", "handlers")
                   if isinstance(getattr(parent, f, None), list))

    def bound_before(self, name: str, stmt: ast.stmt) -> bool:
        """`name` is a parameter, or bound by a statement that runs before `stmt` in its block chain."""
        if name in self.params and name not in self.bindings:
            return True
        cur = stmt
        while cur is not None and cur is not self.fn:
            parent = self.m.parents.get(cur)
            for field in ("body", "orelse", "finalbody"):
                block = getattr(parent, field, None)
                if isinstance(block, list) and cur in block:
                    for prev in block[:block.index(cur)]:
                        if isinstance(prev, (ast.Assign, ast.AnnAssign)) and name in _bound_names(prev):
                            return True
            cur = parent
        return name in self.params

    def uses(self, name: str, region: ast.AST) -> list[tuple[str, ast.AST]]:
        """Each reference to `name` in region, classified: assign, mutate, escape, read."""
        out = []
        for node in _walk_region(region):
            if not (isinstance(node, ast.Name) and node.id == name):
                continue
            parent = self.m.parents.get(node)
            if not isinstance(node.ctx, ast.Load):
                out.append(("assign", node))
            elif isinstance(parent, ast.Attribute) and parent.value is node:
                grand = self.m.parents.get(parent)
                if isinstance(grand, ast.Call) and grand.func is parent:
                    out.append(("read" if parent.attr in _NON_MUTATING else "mutate", grand))
                elif isinstance(parent.ctx, ast.Load):
                    out.append(("escape", parent))  # a bound method kept for later
                else:
                    out.append(("mutate", parent))
            elif isinstance(parent, ast.Subscript) and parent.value is node:
                out.append(("read" if isinstance(parent.ctx, ast.Load) else "mutate", parent))
            elif isinstance(parent, ast.Compare):
                out.append(("read", parent))
            elif isinstance(parent, ast.Call) and node in parent.args:
                pure = isinstance(parent.func, ast.Name) and parent.func.id in PURE_BUILTINS and self.is_builtin(parent.func.id)
                out.append(("read" if pure else "escape", parent))
            elif isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is node:
                out.append(("read", parent))
            elif isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.BoolOp, ast.UnaryOp, ast.Assert)):
                # only a truth test reads it; `a or L` / `L if c else d` hand the object on
                out.append(("read" if self.in_test_position(node) else "escape", parent))
            elif isinstance(parent, ast.Return) or (
                    isinstance(parent, ast.Tuple) and isinstance(self.m.parents.get(parent), ast.Return)):
                out.append(("return", parent))
            else:
                out.append(("escape", parent))
        return out

    def in_test_position(self, node: ast.AST) -> bool:
        child, cur = node, self.m.parents.get(node)
        while isinstance(cur, ast.BoolOp) or (isinstance(cur, ast.UnaryOp) and isinstance(cur.op, ast.Not)):
            if isinstance(cur, ast.UnaryOp):
                return True
            child, cur = cur, self.m.parents.get(cur)
        if isinstance(cur, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            return cur.test is child
        return isinstance(cur, ast.comprehension) and child in cur.ifs

    def opaque_calls(self, region: ast.AST) -> bool:
        for node in _walk_region(region):
            if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
                return True
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in PURE_BUILTINS and self.is_builtin(func.id):
                continue
            if isinstance(func, ast.Attribute):
                t = self.type_of(func.value)
                if t in HASHABLE_ATOMS or (isinstance(t, tuple) and t[0] in _CONTAINERS):
                    continue
                if isinstance(func.value, ast.Name) and func.value.id in ("re", "math") and self.m.imported_module(func.value.id):
                    continue
            return True
        return False

    def never_escapes(self, name: str) -> bool:
        """A local built fresh in fn (literal/comprehension/builtin call) that is never handed to other code."""
        if name in self.params or name in self.declared or name in self.nested_refs:
            return False
        for node in self.bindings.get(name, []):
            if not isinstance(node, ast.Assign) or not _fresh_value(node.value):
                return False
        return all(kind in ("read", "mutate", "assign", "return") for kind, _ in self.uses(name, self.fn))

    def stable(self, name: str, region: ast.AST) -> bool:
        """`name` keeps the same value and contents throughout region."""
        if name in self.declared or name in self.nested_refs:
            return False
        if any(kind != "read" for kind, _ in self.uses(name, region)):
            return False
        return self.never_escapes(name) or not self.opaque_calls(region)

    def hoist_loop(self, node: ast.AST, names: set[str]) -> tuple[ast.AST, ast.stmt] | None:
        """The outermost loop re-running `node` in which every name is stable, and the statement to put
        a hoisted computation before (the loop itself, or the statement holding a comprehension)."""
        best = None
        for loop in self.loop_ancestors(node):
            stmt = loop if isinstance(loop, ast.stmt) else self.statement_of(loop)
            if stmt is None or not self.in_block(stmt) or not self.m.starts_line(stmt):
                break
            if not all(self.stable(n, stmt) for n in names):
                break
            if not all(self.bound_before(n, stmt) for n in names):
                break
            best = (loop, stmt)
        return best


def _bound_names(node: ast.AST) -> list[str]:
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        targets = [node.target]
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        targets = [node.optional_vars]
    elif isinstance(node, ast.NamedExpr):
        targets = [node.target]
    elif isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    elif isinstance(node, ast.Delete):
        targets = node.targets
    names = []
    for target in targets:
        for n in ast.walk(target):
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                names.append(n.id)
    return names


def _refers_to(binding: ast.AST, name: str) -> bool:
    """The binding's value reads `name` itself (a self-referential rebinding)."""
    if isinstance(binding, ast.AugAssign):
        return True
    value = getattr(binding, "value", None) if isinstance(binding, (ast.Assign, ast.AnnAssign)) else (
        binding.iter if isinstance(binding, (ast.For, ast.comprehension)) else None)
    return value is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value))


def _fresh_value(node: ast.AST) -> bool:
    if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.Tuple)):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "dict", "set", "sorted", "tuple"))


def _is_name(node, name=None) -> bool:
    return isinstance(node, ast.Name) and (name is None or node.id == name)


# -- the rules ------------------------------------------------------------------------------

# const-list-membership-to-set: `x in [c1, c2, c3, ...]` (or a tuple) re-run by a loop, >= 3 elements,
# every element a constant, x evidently hashable -> `x in {c1, c2, ...}` (CPython makes it one
# frozenset constant). Same answer because set and list membership agree for hashable builtins.
def _const_membership(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))):
            continue
        seq = node.comparators[0]
        if not isinstance(seq, (ast.List, ast.Tuple)) or len(seq.elts) < 3:
            continue
        if not all(isinstance(e, ast.Constant) and e.value is not Ellipsis for e in seq.elts):
            continue
        if not ctx.loop_ancestors(node) or not _is_hashable(ctx.type_of(node.left)):
            continue
        text = "{" + ", ".join(ctx.m.text(e) for e in seq.elts) + "}"
        yield _Site("const-list-membership-to-set", node.lineno,
                    "membership test on a constant list in a loop uses a set literal", [ctx.m.replace(seq, text)])


# list-membership-to-set: `x in L` re-run by a loop, L a list/tuple (by annotation or construction)
# of evidently hashable elements, x evidently hashable, L stable in the loop (not rebound, not
# mutated, not passed to other code; a parameter also needs a loop free of opaque calls) and
# bound before it -> `_L_set = set(L)` once before the loop and `x in _L_set`.
def _list_membership(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))):
            continue
        seq = node.comparators[0]
        if not isinstance(seq, ast.Name):
            continue
        t = ctx.type_of(seq)
        if not (isinstance(t, tuple) and t[0] in ("list", "tuple") and _is_hashable(t[1])):
            continue
        if not _is_hashable(ctx.type_of(node.left)):
            continue
        where = ctx.hoist_loop(node, {seq.id})
        if where is None:
            continue
        groups.setdefault((seq.id, id(where[1])), []).append((node, where))
    for (name, _), sites in groups.items():
        loop, stmt = sites[0][1]
        if any(w[1] is not stmt for _, w in sites):
            continue
        alias = ctx.m.fresh(f"_{name}_set")
        insert = ctx.m.insert_before(stmt, f"{alias} = set({name})")
        if insert is None:
            continue
        edits = [insert] + [ctx.m.replace(node.comparators[0], alias) for node, _ in sites]
        yield _Site("list-membership-to-set", sites[0][0].lineno,
                    f"membership tests on list `{name}` in a loop use a set built once before it", edits)


# seen-list-to-set: a local `seen = []` bound once, used only for `x in seen` / `x not in seen`
# (x evidently hashable), `seen.append(v)` statements (v a name or constant, evidently hashable)
# and pure reads or a return -> a companion set kept in step with every append; the tests use it.
def _seen_list(ctx: _Func) -> Iterator[_Site]:
    for name, binds in ctx.bindings.items():
        if len(binds) != 1 or name in ctx.params or name in ctx.declared or name in ctx.nested_refs:
            continue
        init = binds[0]
        if not (isinstance(init, ast.Assign) and len(init.targets) == 1 and isinstance(init.value, ast.List)
                and not init.value.elts and ctx.in_block(init)):
            continue
        tests, appends, ok = [], [], True
        for kind, node in ctx.uses(name, ctx.fn):
            if kind == "assign" and node is init.targets[0]:
                continue
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
                    and _is_name(node.comparators[0], name):
                if not _is_hashable(ctx.type_of(node.left)):
                    ok = False
                tests.append(node)
            elif kind == "mutate" and isinstance(node, ast.Call) and node.func.attr == "append":
                stmt = ctx.m.parents.get(node)
                arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
                if not (isinstance(stmt, ast.Expr) and isinstance(arg, (ast.Name, ast.Constant))
                        and _is_hashable(ctx.type_of(arg))):
                    ok = False
                appends.append((stmt, arg))
            elif kind in ("read", "return") and not isinstance(node, ast.Compare):
                continue
            else:
                ok = False
        if not ok or not tests or not any(ctx.loop_ancestors(t) for t in tests):
            continue
        alias = ctx.m.fresh(f"_{name}_set")
        first = ctx.m.insert_after(init, f"{alias} = set()")
        if first is None:
            continue
        edits = [first] + [ctx.m.replace(t.comparators[0], alias) for t in tests]
        edits += [ctx.m.replace(stmt, f"{ctx.m.text(stmt)}; {alias}.add({ctx.m.text(arg)})") for stmt, arg in appends]
        yield _Site("seen-list-to-set", init.lineno,
                    f"list `{name}` used for membership gets a companion set kept in step with its appends", edits)


# str-concat-to-join: `s += piece` / `s = s + p1 + p2` in a loop, s evidently a str, every piece
# evidently a str, no other reference to s anywhere in the loop, the loop not inside a try (or a
# with other than open()) so nothing can observe s half-built -> pieces appended to a list before
# the loop and `s += "".join(parts)` after it.
def _str_concat(ctx: _Func) -> Iterator[_Site]:
    done: set[tuple] = set()
    for node in ctx.nodes:
        name, pieces = _concat_site(ctx, node)
        if name is None or ctx.types.get(name) != "str" or name in ctx.declared or name in ctx.nested_refs:
            continue
        loops = [l for l in ctx.loop_ancestors(node) if isinstance(l, (ast.For, ast.While))]
        chosen = None
        for loop in loops:
            sites = _concat_sites_in(ctx, loop, name)
            if sites is None or not ctx.in_block(loop) or not ctx.m.starts_line(loop):
                break
            chosen = (loop, sites)
        if chosen is None or _guarded_by_try(ctx, chosen[0]):
            continue
        loop, sites = chosen
        if (name, id(loop)) in done:
            continue
        done.add((name, id(loop)))
        parts = ctx.m.fresh(f"_{name}_parts")
        before = ctx.m.insert_before(loop, f"{parts} = []")
        after = ctx.m.insert_after(loop, f'{name} += "".join({parts})')
        if before is None or after is None:
            continue
        edits = [before, after]
        for stmt, pieces in sites:
            piece = ctx.m.text(pieces[0]) if len(pieces) == 1 else " + ".join(ctx.m.atom(p) for p in pieces)
            edits.append(ctx.m.replace(stmt, f"{parts}.append({piece})"))
        yield _Site("str-concat-to-join", loop.lineno,
                    f"string `{name}` built by repeated concatenation in a loop is joined once", edits)


def _concat_site(ctx: _Func, node) -> tuple[str | None, list]:
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
        pieces = [node.value]
        name = node.target.id
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name = node.targets[0].id
        chain, cur = [], node.value
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Add):
            chain.append(cur.right)
            cur = cur.left
        if not (_is_name(cur, name) and chain):
            return None, []
        pieces = chain[::-1]
    else:
        return None, []
    if not all(ctx.type_of(p) == "str" for p in pieces):
        return None, []
    if any(_is_name(n, name) for p in pieces for n in ast.walk(p)):
        return None, []
    return name, pieces


def _concat_sites_in(ctx: _Func, loop, name):
    sites = []
    concat_nodes = set()
    for node in _walk_region(loop):
        n, pieces = _concat_site(ctx, node)
        if n == name:
            if not (ctx.in_block(node) and ctx.m.starts_line(node)):
                return None
            sites.append((node, pieces))
            concat_nodes.add(id(node))
    for node in _walk_region(loop):
        if isinstance(node, ast.Name) and node.id == name:
            stmt = ctx.statement_of(node)
            if id(stmt) not in concat_nodes:
                return None
    return sites or None


def _guarded_by_try(ctx: _Func, node) -> bool:
    cur = ctx.m.parents.get(node)
    while cur is not None and cur is not ctx.fn:
        if isinstance(cur, (ast.Try, ast.TryStar)):
            return True
        if isinstance(cur, (ast.With, ast.AsyncWith)):
            for item in cur.items:
                e = item.context_expr
                if not (isinstance(e, ast.Call) and _is_name(e.func, "open") and ctx.is_builtin("open")):
                    return True
        cur = ctx.m.parents.get(cur)
    return False


# hoist-invariant-call: a call re-run by a loop that cannot raise and has no effect, whose argument
# is stable in the loop and bound before it: len(L) of a list/tuple/str/dict/set, sorted(L) of
# str/int elements, set(L)/frozenset(L) of hashable elements, tuple(L), sum(L) of ints, and
# no-argument str methods of a str -> computed once before the loop. A result that is a mutable
# container is hoisted only where the loop just reads it (iterates, tests membership, indexes).
_HOIST_SEQUENCE = ("list", "tuple", "set", "dict")
_READ_ONLY_PARENTS = (ast.Compare, ast.For, ast.comprehension, ast.Subscript)


def _hoistable(ctx: _Func, call: ast.Call) -> str | None:
    if call.keywords or len(call.args) > 1:
        return None
    if isinstance(call.func, ast.Name) and len(call.args) == 1 and _is_name(call.args[0]) and ctx.is_builtin(call.func.id):
        t = ctx.type_of(call.args[0])
        kind = t[0] if isinstance(t, tuple) else t
        elem = t[1] if isinstance(t, tuple) else ("str" if t == "str" else None)
        name = call.func.id
        if name == "len" and (kind in _HOIST_SEQUENCE or kind == "str"):
            return "immutable"
        if name == "sorted" and kind in _HOIST_SEQUENCE + ("str",) and elem in ("str", "int", "float", "bytes"):
            return "mutable"
        if name in ("set", "frozenset") and kind in _HOIST_SEQUENCE + ("str",) and _is_hashable(elem):
            return "mutable" if name == "set" else "immutable"
        if name == "tuple" and kind in _HOIST_SEQUENCE + ("str",):
            return "immutable"
        if name == "sum" and kind in _HOIST_SEQUENCE and elem in ("int", "bool"):
            return "immutable"
        return None
    if (isinstance(call.func, ast.Attribute) and not call.args and _is_name(call.func.value)
            and ctx.type_of(call.func.value) == "str" and call.func.attr in _STR_TO_STR - {"format", "join", "replace", "translate", "center", "ljust", "rjust", "zfill", "removeprefix", "removesuffix"}):
        return "immutable"
    return None


def _hoist_invariant(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not isinstance(node, ast.Call):
            continue
        result = _hoistable(ctx, node)
        if result is None:
            continue
        if result == "mutable":
            parent = ctx.m.parents.get(node)
            read_only = (isinstance(parent, ast.Compare) and node in parent.comparators) or \
                (isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is node) or \
                (isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Load)) or \
                (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in ("len", "min", "max", "sum", "any", "all") and ctx.is_builtin(parent.func.id))
            if not read_only:
                continue
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {node.func.id if isinstance(node.func, ast.Name) else ""}
        where = ctx.hoist_loop(node, names)
        if where is None:
            continue
        groups.setdefault((ast.dump(node), id(where[1])), []).append((node, where))
    for (_, _), sites in groups.items():
        node, (loop, stmt) = sites[0]
        text = ctx.m.text(node)
        base = "_" + "_".join(re.findall(r"\w+", text))
        alias = ctx.m.fresh(base[:40])
        insert = ctx.m.insert_before(stmt, f"{alias} = {text}")
        if insert is None:
            continue
        edits = [insert] + [ctx.m.replace(n, alias) for n, _ in sites]
        cheap = isinstance(node.func, ast.Name) and node.func.id == "len"
        yield _Site("hoist-invariant-call", node.lineno, f"loop-invariant `{text}` is computed once before the loop",
                    edits, weight=0 if cheap else 1)


# regex-compile-to-module: re.compile/match/search/fullmatch/findall/finditer/sub/subn/split with a
# constant pattern (that compiles now) and constant flags (by keyword for the module functions), `re`
# a plain top-level import never rebound, the other arguments mapping one-to-one onto the compiled
# pattern's method -> a module-level compiled pattern (import time is when the cache fills anyway).
_RE_POSITIONAL = {"match": 1, "search": 1, "fullmatch": 1, "findall": 1, "finditer": 1, "sub": 3, "subn": 3, "split": 2}
_RE_KEYWORDS = {"match": set(), "search": set(), "fullmatch": set(), "findall": set(), "finditer": set(),
                "sub": {"count"}, "subn": {"count"}, "split": {"maxsplit"}}


def _regex_module(ctx: _Func) -> Iterator[_Site]:
    if not ctx.m.imported_module("re") or "re" in ctx.bindings or "re" in ctx.params:
        return
    at = ctx.m.module_insert_point()
    if at is None:
        return
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_name(node.func.value, "re")):
            continue
        op = node.func.attr
        if op != "compile" and op not in _RE_POSITIONAL:
            continue
        if not node.args or not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, (str, bytes))):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue
        flags_node = None
        rest_kw = []
        if op == "compile":
            if len(node.args) == 2 and not node.keywords:
                flags_node = node.args[1]
            elif len(node.args) == 1 and all(k.arg == "flags" for k in node.keywords):
                flags_node = node.keywords[0].value if node.keywords else None
            else:
                continue
        else:
            if len(node.args) - 1 > _RE_POSITIONAL[op]:
                continue
            if any(k.arg != "flags" and k.arg not in _RE_KEYWORDS[op] for k in node.keywords):
                continue
            for k in node.keywords:
                if k.arg == "flags":
                    flags_node = k.value
                else:
                    rest_kw.append(k)
        flags_value = _regex_flags(flags_node)
        if flags_value is None:
            continue
        try:
            re.compile(node.args[0].value, flags_value)
        except (re.error, TypeError, ValueError, OverflowError):
            continue
        const = ctx.m.fresh(f"_{ctx.fn.name.upper()}_RE")
        pattern = ctx.m.text(node.args[0])
        flags_text = f", {ctx.m.text(flags_node)}" if flags_node is not None else ""
        define = _Edit(at, at, f"{const} = re.compile({pattern}{flags_text})\n")
        if op == "compile":
            call = const
        else:
            args = [ctx.m.text(a) for a in node.args[1:]] + [f"{k.arg}={ctx.m.text(k.value)}" for k in rest_kw]
            call = f"{const}.{op}({', '.join(args)})"
        yield _Site("regex-compile-to-module", node.lineno,
                    f"regular expression {pattern[:40]} is compiled once at module level", [define, ctx.m.replace(node, call)])


def _regex_flags(node) -> int | None:
    if node is None:
        return 0
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Attribute) and _is_name(node.value, "re") and node.attr.isupper() and node.attr not in ("L", "LOCALE"):
        value = getattr(re, node.attr, None)
        return int(value) if isinstance(value, (int, re.RegexFlag)) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _regex_flags(node.left), _regex_flags(node.right)
        return None if left is None or right is None else left | right
    return None


# sorted-index-to-min-max: `sorted(L)[0]` -> `min(L)` and `sorted(L, reverse=True)[0]` -> `max(L)`
# (same element: both keep the first of equal ones; key= carries over), and `sorted(L)[-1]` ->
# `max(L)` only for str/bytes/int elements without key (sorted's last of equal ones is
# indistinguishable from max's first). Only where L is evidently non-empty, so the empty case's
# IndexError (min/max raise ValueError) cannot arise: L a list/tuple/str/set/dict, guarded by an
# enclosing `if L:` / `if len(L) > 0:` (or an earlier `if not L: return/raise/continue/break`), and
# never shrunk, rebound or handed to other code in the function.
def _sorted_index(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)):
            continue
        call = node.value
        if not (isinstance(call, ast.Call) and _is_name(call.func, "sorted") and ctx.is_builtin("sorted")
                and len(call.args) == 1 and _is_name(call.args[0])):
            continue
        index = node.slice
        if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) and isinstance(index.operand, ast.Constant) \
                and index.operand.value == 1 and type(index.operand.value) is int:
            last = True
        elif isinstance(index, ast.Constant) and index.value == 0 and type(index.value) is int:
            last = False
        else:
            continue
        key, reverse, ok = None, False, True
        for kw in call.keywords:
            if kw.arg == "key":
                key = kw.value
            elif kw.arg == "reverse" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool):
                reverse = kw.value.value
            else:
                ok = False
        if not ok:
            continue
        name = call.args[0].id
        t = ctx.type_of(call.args[0])
        kind = t[0] if isinstance(t, tuple) else t
        if kind not in ("list", "tuple", "str", "set", "dict"):
            continue
        elem = _elem(t)
        want_max = last != reverse
        exact = (not last) or (key is None and elem in ("str", "bytes", "int"))
        if not exact or (key is not None and last):
            continue
        if not _non_empty(ctx, node, name):
            continue
        func = "max" if want_max else "min"
        if not ctx.is_builtin(func):
            continue
        args = name + (f", key={ctx.m.text(key)}" if key is not None else "")
        yield _Site("sorted-index-to-min-max", node.lineno,
                    f"`{ctx.m.text(node)}` becomes `{func}({args})` (linear, no sort)",
                    [ctx.m.replace(node, f"{func}({args})")])


def _non_empty(ctx: _Func, node, name: str) -> bool:
    for kind, use in ctx.uses(name, ctx.fn):
        if kind in ("assign", "escape"):
            return False
        if kind == "mutate":
            if not (isinstance(use, ast.Call) and use.func.attr in ("append", "extend", "insert", "add", "update", "setdefault")):
                return False
    if name in ctx.declared or name in ctx.nested_refs:
        return False
    child, cur = node, ctx.m.parents.get(node)
    while cur is not None and cur is not ctx.fn:
        if isinstance(cur, (ast.If, ast.IfExp, ast.While)) and child is not cur.test:
            in_body = child in cur.body if isinstance(cur.body, list) else child is cur.body
            if in_body and _truthy_test(cur.test, name):
                return True
        parent = ctx.m.parents.get(cur)
        for field in ("body", "orelse"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and isinstance(cur, ast.stmt) and cur in block:
                for prev in block[:block.index(cur)]:
                    if isinstance(prev, ast.If) and not prev.orelse and _falsy_test(prev.test, name) and prev.body \
                            and isinstance(prev.body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break)):
                        return True
        child, cur = cur, parent
    return False


def _truthy_test(test, name) -> bool:
    if _is_name(test, name):
        return True
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_truthy_test(v, name) for v in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        is_len = isinstance(left, ast.Call) and _is_name(left.func, "len") and len(left.args) == 1 and _is_name(left.args[0], name)
        if is_len and isinstance(right, ast.Constant) and type(right.value) is int:
            return (isinstance(op, ast.Gt) and right.value >= 0) or (isinstance(op, ast.GtE) and right.value >= 1) \
                or (isinstance(op, ast.NotEq) and right.value == 0)
    return False


def _falsy_test(test, name) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _truthy_test(test.operand, name)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        is_len = isinstance(left, ast.Call) and _is_name(left.func, "len") and len(left.args) == 1 and _is_name(left.args[0], name)
        return is_len and isinstance(op, ast.Eq) and isinstance(right, ast.Constant) and right.value == 0 and type(right.value) is int
    return False


# pop0-to-deque: a local list bound once (from a list literal or list(...)), used only via
# pop(0) (-> popleft()), insert(0, v) (-> appendleft(v)), append/extend/pop()/clear/remove,
# len(), truth tests, `in` and [0]/[-1] reads, with pop(0) or insert(0, ...) in a loop -> a
# collections.deque. Never returned, iterated, sliced, sorted, compared or passed anywhere,
# where a deque would behave differently. Both raise IndexError when empty (the messages differ).
_DEQUE_SAFE = {"append", "extend", "clear", "remove", "count"}
_DEQUE_CONSUMERS = {"len", "list", "tuple", "sorted", "set", "frozenset", "sum", "min", "max", "any", "all"}


def _pop0_deque(ctx: _Func) -> Iterator[_Site]:
    for name, binds in ctx.bindings.items():
        if len(binds) != 1 or name in ctx.params or name in ctx.declared or name in ctx.nested_refs:
            continue
        init = binds[0]
        if not (isinstance(init, ast.Assign) and len(init.targets) == 1 and isinstance(init.targets[0], ast.Name)):
            continue
        value = init.value
        if not (isinstance(value, ast.List) or (isinstance(value, ast.Call) and _is_name(value.func, "list")
                                                and ctx.is_builtin("list") and len(value.args) <= 1 and not value.keywords)):
            continue
        edits, hot, ok = [], False, True
        for kind, use in ctx.uses(name, ctx.fn):
            if kind == "assign":
                ok = ok and use is init.targets[0]
            elif isinstance(use, ast.Call) and isinstance(use.func, ast.Attribute) and _is_name(use.func.value, name):
                attr = use.func.attr
                args = use.args
                if use.keywords or any(isinstance(a, ast.Starred) for a in args):
                    ok = False
                elif attr == "pop" and len(args) == 1 and isinstance(args[0], ast.Constant) and args[0].value == 0 and type(args[0].value) is int:
                    edits.append(ctx.m.replace(use, f"{name}.popleft()"))
                    hot = hot or bool(ctx.loop_ancestors(use))
                elif attr == "pop" and (not args or (len(args) == 1 and isinstance(args[0], ast.UnaryOp) and ctx.m.text(args[0]) == "-1")):
                    if args:
                        edits.append(ctx.m.replace(use, f"{name}.pop()"))
                elif attr == "insert" and len(args) == 2 and isinstance(args[0], ast.Constant) and args[0].value == 0 and type(args[0].value) is int:
                    edits.append(ctx.m.replace(use, f"{name}.appendleft({ctx.m.text(args[1])})"))
                    hot = hot or bool(ctx.loop_ancestors(use))
                elif attr not in _DEQUE_SAFE:
                    ok = False
            elif isinstance(use, ast.Subscript):
                idx = use.slice
                if not (isinstance(use.ctx, ast.Load) and ctx.m.text(idx) in ("0", "-1")):
                    ok = False
            elif isinstance(use, ast.Call) and isinstance(use.func, ast.Name) and use.func.id in _DEQUE_CONSUMERS \
                    and ctx.is_builtin(use.func.id):
                pass  # these read the items at once and give the same answer for a deque
            elif kind == "read" and isinstance(use, (ast.If, ast.While, ast.IfExp, ast.BoolOp, ast.UnaryOp, ast.Assert)):
                pass  # a truth test
            elif isinstance(use, ast.Compare) and all(isinstance(op, (ast.In, ast.NotIn)) for op in use.ops) \
                    and any(_is_name(c, name) for c in use.comparators) and not _is_name(use.left, name):
                pass
            else:
                ok = False
        if not ok or not hot:
            continue
        imported = ctx.m.need_import("collections", "deque")
        if imported is None:
            continue
        deque_name, import_edits = imported
        inner = ctx.m.text(value.args[0]) if isinstance(value, ast.Call) and value.args else (
            ctx.m.text(value) if isinstance(value, ast.List) and value.elts else "")
        edits.append(ctx.m.replace(value, f"{deque_name}({inner})"))
        yield _Site("pop0-to-deque", init.lineno,
                    f"list `{name}` used as a queue (pop(0)/insert(0)) becomes a collections.deque", edits + import_edits)


# insert0-to-append-reverse: a local `out = []` (empty, bound once) filled only by `out.insert(0, e)`
# statements in a for/while loop that follows it in the same block, with no other reference to out
# between the two or inside the loop and no try (or with other than open()) around the loop ->
# `out.append(e)` in the loop and `out.reverse()` right after it: the same list, built in linear time.
def _insert0_reverse(ctx: _Func) -> Iterator[_Site]:
    for name, binds in ctx.bindings.items():
        if len(binds) != 1 or name in ctx.params or name in ctx.declared or name in ctx.nested_refs:
            continue
        init = binds[0]
        if not (isinstance(init, ast.Assign) and len(init.targets) == 1 and isinstance(init.value, ast.List)
                and not init.value.elts):
            continue
        parent = ctx.m.parents.get(init)
        block = next((getattr(parent, f) for f in ("body", "orelse", "finalbody")
                      if isinstance(getattr(parent, f, None), list) and init in getattr(parent, f)), None)
        if block is None:
            continue
        following = block[block.index(init) + 1:]
        loop = next((st for st in following if any(_is_name(n, name) for n in ast.walk(st))), None)
        if not isinstance(loop, (ast.For, ast.While)) or not ctx.m.starts_line(loop) or _guarded_by_try(ctx, loop):
            continue
        inserts, ok = [], True
        for node in _walk_region(loop):
            if not _is_name(node, name):
                continue
            call = ctx.m.parents.get(ctx.m.parents.get(node))
            stmt = ctx.m.parents.get(call)
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.value is node
                    and call.func.attr == "insert" and len(call.args) == 2 and not call.keywords
                    and isinstance(call.args[0], ast.Constant) and type(call.args[0].value) is int
                    and call.args[0].value == 0 and not isinstance(call.args[1], ast.Starred)
                    and isinstance(stmt, ast.Expr) and not any(_is_name(n, name) for n in ast.walk(call.args[1]))):
                inserts.append(call)
            else:
                ok = False
        if not ok or not inserts:
            continue
        after = ctx.m.insert_after(loop, f"{name}.reverse()")
        if after is None:
            continue
        edits = [after] + [ctx.m.replace(c, f"{name}.append({ctx.m.text(c.args[1])})") for c in inserts]
        yield _Site("insert0-to-append-reverse", loop.lineno,
                    f"list `{name}` built by insert(0, ...) is appended to and reversed once", edits)


# any-all-generator: `any([E for x in L ...])` / `all([...])` -> a generator that stops at the
# first decisive item. Only where evaluating fewer items cannot be observed: every iterable is a
# list/tuple/str/set/dict (or range) -- never a possibly shared iterator the caller would see
# half-consumed -- and E and every `if` are side-effect free and cannot raise: comparisons of
# evidently same-kind builtin values, `in` on str or on containers of hashables, len() of
# sized builtins, no-argument str predicates, not/and/or, +,-,* on ints.
def _any_all(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("any", "all")
                and ctx.is_builtin(node.func.id) and len(node.args) == 1 and not node.keywords
                and isinstance(node.args[0], ast.ListComp)):
            continue
        comp = node.args[0]
        env = ctx.comprehension_env(comp)
        ok = all(not gen.is_async and _finite_container(ctx, gen.iter, env) for gen in comp.generators)
        ok = ok and _pure(ctx, comp.elt, env) and all(_pure(ctx, c, env) for gen in comp.generators for c in gen.ifs)
        text = ctx.m.text(comp)
        if not ok or not (text.startswith("[") and text.endswith("]")):
            continue
        yield _Site("any-all-generator", node.lineno,
                    f"`{node.func.id}()` over a list comprehension stops at the first decisive item",
                    [ctx.m.replace(comp, text[1:-1])])


def _finite_container(ctx: _Func, node, env) -> bool:
    t = ctx.type_of(node, env)
    if t == "str" or (isinstance(t, tuple) and t[0] in ("list", "tuple", "set", "dict")):
        return True
    return (isinstance(node, ast.Call) and _is_name(node.func, "range") and ctx.is_builtin("range")
            and not node.keywords and 1 <= len(node.args) <= 3
            and all(ctx.type_of(a, env) in ("int", "bool") for a in node.args))


_NUMS = {"int", "bool", "float"}


def _pure(ctx: _Func, node, env) -> bool:
    """Side-effect free and cannot raise, judged from evident builtin types."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return ctx.type_of(node, env) is not None
    if isinstance(node, ast.BoolOp):
        return all(_pure(ctx, v, env) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return _pure(ctx, node.operand, env) and (isinstance(node.op, ast.Not) or ctx.type_of(node.operand, env) in _NUMS)
    if isinstance(node, ast.BinOp):
        return (isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)) and _pure(ctx, node.left, env)
                and _pure(ctx, node.right, env) and ctx.type_of(node.left, env) in ("int", "bool")
                and ctx.type_of(node.right, env) in ("int", "bool"))
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        if not all(_pure(ctx, o, env) for o in operands):
            return False
        types = [ctx.type_of(o, env) for o in operands]
        for op, left, right in zip(node.ops, types, types[1:]):
            if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
                if not (_is_hashable(left) and _is_hashable(right)):
                    return False
            elif isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                if not ((left in _NUMS and right in _NUMS) or (left == right and left in ("str", "bytes"))):
                    return False
            elif isinstance(op, (ast.In, ast.NotIn)):
                if right == "str":
                    if left != "str":
                        return False
                elif isinstance(right, tuple) and right[0] in ("list", "tuple"):
                    if not (_is_hashable(left) and _is_hashable(right[1])):
                        return False
                elif isinstance(right, tuple) and right[0] in ("set", "dict"):
                    if not _is_hashable(left):
                        return False
                else:
                    return False
            else:
                return False
        return True
    if isinstance(node, ast.Call) and not node.keywords:
        if _is_name(node.func, "len") and ctx.is_builtin("len") and len(node.args) == 1:
            t = ctx.type_of(node.args[0], env)
            return _pure(ctx, node.args[0], env) and (t == "str" or (isinstance(t, tuple) and t[0] in ("list", "tuple", "set", "dict")))
        if isinstance(node.func, ast.Attribute) and ctx.type_of(node.func.value, env) == "str" \
                and _pure(ctx, node.func.value, env):
            if node.func.attr in _STR_TO_BOOL - {"startswith", "endswith"} | {"lower", "upper", "strip", "lstrip", "rstrip", "casefold"}:
                return not node.args
            if node.func.attr in ("startswith", "endswith"):
                return len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
    return False


# method-alias-in-loop: `R.append(...)` (list), `R.add(...)` (set) or `R.get(...)` (dict) called in a
# for/while loop, R a list/set/dict local or parameter never rebound in the loop and bound before it
# -> `_R_append = R.append` once before the loop (a builtin type's bound method stays the same
# method of the same object however the object's contents change).
_ALIAS_METHODS = {"list": {"append"}, "set": {"add"}, "dict": {"get"}}


def _method_alias(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_name(node.func.value)):
            continue
        recv = node.func.value.id
        t = ctx.type_of(node.func.value)
        kind = t[0] if isinstance(t, tuple) else None
        if node.func.attr not in _ALIAS_METHODS.get(kind, ()) or recv in ctx.declared or recv in ctx.nested_refs:
            continue
        best = None
        for loop in ctx.loop_ancestors(node):
            if not isinstance(loop, (ast.For, ast.While)) or not ctx.in_block(loop) or not ctx.m.starts_line(loop):
                break
            uses = ctx.uses(recv, loop)
            if any(k == "assign" or (k == "mutate" and isinstance(n, ast.Attribute)) for k, n in uses) \
                    or not ctx.bound_before(recv, loop):
                break
            best = loop
        if best is not None:
            groups.setdefault((recv, node.func.attr, id(best)), []).append((node, best))
    for (recv, attr, _), sites in groups.items():
        loop = sites[0][1]
        alias = ctx.m.fresh(f"_{recv}_{attr}")
        insert = ctx.m.insert_before(loop, f"{alias} = {recv}.{attr}")
        if insert is None:
            continue
        edits = [insert] + [ctx.m.replace(node.func, alias) for node, _ in sites]
        yield _Site("method-alias-in-loop", loop.lineno, f"`{recv}.{attr}` is looked up once before the loop", edits)


# dict-keys-membership: `k in D.keys()` -> `k in D` for D evidently a dict (same test, no view);
# `k in list(D)` / `k in list(D.keys())` -> `k in D` when k is also evidently hashable (the list
# test is linear and would answer False, not raise, for an unhashable k).
def _dict_keys(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))):
            continue
        comp = node.comparators[0]
        via_list = False
        if isinstance(comp, ast.Call) and _is_name(comp.func, "list") and ctx.is_builtin("list") and len(comp.args) == 1 and not comp.keywords:
            comp, via_list = comp.args[0], True
        if isinstance(comp, ast.Call) and isinstance(comp.func, ast.Attribute) and comp.func.attr == "keys" \
                and not comp.args and not comp.keywords:
            target = comp.func.value
        elif via_list:
            target = comp
        else:
            continue
        t = ctx.type_of(target)
        if not (isinstance(t, tuple) and t[0] == "dict"):
            continue
        if via_list and not _is_hashable(ctx.type_of(node.left)):
            continue
        yield _Site("dict-keys-membership", node.lineno, "dict membership tested on the dict itself",
                    [ctx.m.replace(node.comparators[0], ctx.m.atom(target))])


# count-to-counter: `L.count(x)` re-run by a loop, L a list/tuple of evidently hashable elements,
# stable in the loop and bound before it, x evidently hashable -> `Counter(L)` built once before
# the loop and `_counts[x]` (Counter merges equal keys exactly as count() compares with ==, and
# answers 0 for a missing x).
def _count_counter(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "count"
                and _is_name(node.func.value) and len(node.args) == 1 and not node.keywords):
            continue
        name = node.func.value.id
        t = ctx.type_of(node.func.value)
        if not (isinstance(t, tuple) and t[0] in ("list", "tuple") and _is_hashable(t[1])):
            continue
        if not _is_hashable(ctx.type_of(node.args[0])):
            continue
        where = ctx.hoist_loop(node, {name})
        if where is None:
            continue
        groups.setdefault((name, id(where[1])), []).append((node, where))
    for (name, _), sites in groups.items():
        stmt = sites[0][1][1]
        imported = ctx.m.need_import("collections", "Counter")
        if imported is None:
            continue
        counter, import_edits = imported
        alias = ctx.m.fresh(f"_{name}_counts")
        insert = ctx.m.insert_before(stmt, f"{alias} = {counter}({name})")
        if insert is None:
            continue
        edits = [insert] + import_edits + [ctx.m.replace(n, f"{alias}[{ctx.m.text(n.args[0])}]") for n, _ in sites]
        yield _Site("count-to-counter", sites[0][0].lineno, f"`{name}.count(...)` in a loop reads a Counter built once", edits)


_FINDERS = (_const_membership, _list_membership, _seen_list, _str_concat, _hoist_invariant, _regex_module,
            _sorted_index, _pop0_deque, _insert0_reverse, _method_alias, _dict_keys, _count_counter, _any_all)
