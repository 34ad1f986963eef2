"""What the rules know about a function: a small type inference (annotations, literals, builtins, and
run-time evidence where those say nothing) and the bindings, loops and calls the preconditions read (`_Func`).

Over 600 lines as one concept: `_Func` is the one view of a function every rule reads, and its type
inference, binding tables and stability queries call each other (stability asks types whether a call
is opaque, types ask bindings); split, they would pass the same object back and forth."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Module
from suture.agent.optimize.perf_rules.modulescope import module_scope
from suture.agent.optimize.perf_rules.specialise import total_result


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


def _complete(t) -> bool:
    if t is None:
        return False
    return not isinstance(t, tuple) or all(_complete(p) for p in t[1:] if not isinstance(p, tuple) or p)


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
    def __init__(self, module: _Module, fn: ast.AST, evidence: dict | None = None, enclosing: dict | None = None,
                 results: dict | None = None):
        self.m = module
        self.fn = fn
        # For a nested function (perf_rules/recursion.py): the types of the enclosing function's names it
        # reads, and the result types of local functions it calls (its own, assumed, then checked).
        self.enclosing = enclosing or {}
        self.results = results or {}
        # Run-time types (perf_rules/evidence.py) for names the source leaves untyped, and which of
        # them a rule read, directly or through a name typed from them (`evidence_used`, for the report).
        self.evidence = evidence or {}
        self.from_evidence: set[str] = set()
        self.derived: dict[str, set[str]] = {}
        self.evidence_used: set[str] = set()
        self.pure_calls_used: set[str] = set()
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
        self._trace_evidence()

    def _trace_evidence(self) -> None:
        """Which evidence each name's inferred type rests on (a local typed from an evidence-typed parameter)."""
        if not self.from_evidence:
            return
        for _ in range(3):
            for name in self.bindings:
                if name in self.from_evidence or self.types.get(name) is None:
                    continue
                self.evidence_used = set()
                for node in self.bindings[name]:
                    self._binding_type(name, node, self.types)
                self.derived[name] = self.evidence_used - {name}
        self.evidence_used = set()

    # ---- types
    def _infer(self) -> dict:
        """Types of parameters and locals. Optimistic for self-referential rebinding
        (`word = word.strip()`, `s += piece`): assumed from the other bindings, then every binding
        is re-checked under the final types and a name whose bindings disagree becomes unknown."""
        env: dict = {n: t for n, t in self.enclosing.items() if n not in self.params and n not in self.bindings}
        for name, arg in self.params.items():
            if name not in self.bindings:
                env[name] = _ann_type(arg.annotation) if arg is not None else None
                if env[name] is None and self.evidence.get(name) is not None:
                    env[name] = self.evidence[name]
                    self.from_evidence.add(name)

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
        for name in self.bindings:  # what the source leaves untyped, the run may show
            if env.get(name) is None and self.evidence.get(name) is not None and name not in self.declared:
                env[name] = self.evidence[name]
                self.from_evidence.add(name)
        if self.from_evidence:
            # and what follows from it: `msgid = key.encode()` once the run showed `key` a str
            for _ in range(2):
                for name in self.bindings:
                    if env.get(name) is None and name not in self.declared:
                        env[name] = _join(t for t, _ in binding_types(name, env))
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
                    return pieces.pop() if len(pieces) == 1 and pieces <= {"str", "int", "bytes"} else None
                return self.type_of(node.value, env)
            target = node.targets[0] if len(node.targets) == 1 else None
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) \
                    and len(target.elts) == len(node.value.elts) and all(isinstance(e, ast.Name) for e in target.elts) \
                    and not any(isinstance(e, ast.Starred) for e in node.value.elts):
                names = [e.id for e in target.elts]  # `n, m = len(a), len(b)`
                return self.type_of(node.value.elts[names.index(name)], env) if names.count(name) == 1 else None
            return None
        if isinstance(node, ast.AnnAssign):
            return _ann_type(node.annotation) if node.value is not None else None
        if isinstance(node, ast.AugAssign):
            # `s += piece` keeps s's type when piece has it (str, int); any other binding of s decides the rest.
            value = self.type_of(node.value, env)
            return value if isinstance(node.op, ast.Add) and value in ("str", "int", "bytes") else None
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
            found = env.get(node.id)
            if found is not None and self.from_evidence:
                if node.id in self.from_evidence and found == self.evidence.get(node.id):
                    self.evidence_used.add(node.id)
                self.evidence_used |= self.derived.get(node.id, set())
            return found
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
                if left == right and left in ("str", "bytes"):
                    return left
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
                    if inner[n.id] is None and n.id in self.from_evidence:
                        inner[n.id] = self.evidence[n.id]
        return inner

    def _call_type(self, node, env):
        func = node.func
        args = node.args
        if isinstance(func, ast.Name) and func.id in self.results:
            return self.results[func.id]
        if isinstance(func, ast.Name) and func.id in self.enclosing:
            return None
        if isinstance(func, ast.Name) and self.builtin_name(func.id) is None:
            return self.total_call(node, env) or self._module_call_type(node, env)
        if isinstance(func, ast.Name):
            name = self.builtin_name(func.id)
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
            if name in ("min", "max") and len(args) >= 2 and not node.keywords:
                return _join(self.type_of(a, env) for a in args)  # one of the arguments
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
        # module_scope's `bound` adds the defs and imports nested in the module's if/try blocks
        return name not in self.module_bound and name not in self.bindings and name not in self.params \
            and name not in module_scope(self.m).top

    def builtin_name(self, name: str) -> str | None:
        """The builtin `name` calls here: itself, or the one a module-level alias names (`unicode = str`,
        perf_rules/modulescope.py); None for anything else."""
        if self.is_builtin(name):
            return name
        if name in self.bindings or name in self.params or name in self.declared or name in self.enclosing:
            return None
        return module_scope(self.m).aliases.get(name)

    def total_call(self, node: ast.Call, env=None) -> object:
        """What a call of one of the module's own functions returns when, for its arguments' types, the
        path it takes changes nothing, cannot raise and always gives the same value (perf_rules/specialise.py,
        e.g. a module-level `len` that is `iterable.__len__()` for a list); None otherwise."""
        func = node.func
        if not isinstance(func, ast.Name) or func.id in self.bindings or func.id in self.params \
                or func.id in self.declared or func.id in self.enclosing or node.keywords \
                or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        scope = module_scope(self.m)
        fdef = scope.live_defs.get(func.id)
        if fdef is None:
            return None
        return total_result(scope, fdef, tuple(self.type_of(a, env) for a in node.args))

    def _module_call_type(self, node: ast.Call, env) -> object:
        """What a call of one of the module's own live functions returns, inferred from its return
        statements with its parameters typed by the call's arguments (positional, one per parameter)."""
        name = node.func.id
        fdef = module_scope(self.m).live_defs.get(name)
        if fdef is None or name in self.bindings or name in self.params or name in self.declared \
                or node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        a = fdef.args
        if a.posonlyargs or a.vararg or a.kwarg or a.kwonlyargs or a.defaults or len(a.args) != len(node.args):
            return None
        if not fdef.body or not isinstance(fdef.body[-1], ast.Return):
            return None  # a path may fall off the end (None)
        argtypes = tuple(self.type_of(arg, env) for arg in node.args)
        key = (name, argtypes)
        cache = self.m.__dict__.setdefault("_return_types", {})
        if key in cache:
            return cache[key]
        cache[key] = None  # a recursive call while this one is inferred: unknown
        try:
            callee = _Func(self.m, fdef, {p.arg: t for p, t in zip(a.args, argtypes) if t is not None})
        except RecursionError:
            return None
        returns = [n for n in callee.nodes if isinstance(n, ast.Return)]
        found = None if any(r.value is None for r in returns) else _join(callee.type_of(r.value) for r in returns)
        if not _complete(found):
            found = None  # `list[?]` says less than the run's `list[str]` would: leave the name to the evidence
        cache[key] = found
        return found

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

    def empty_list_locals(self) -> Iterator[tuple[str, ast.Assign]]:
        """(name, its one binding) of each local bound exactly once, by `name = []`, that no parameter,
        global/nonlocal declaration or nested scope shares: a list this function alone builds."""
        for name, binds in self.bindings.items():
            if len(binds) != 1 or name in self.params or name in self.declared or name in self.nested_refs:
                continue
            init = binds[0]
            if (isinstance(init, ast.Assign) and len(init.targets) == 1 and isinstance(init.value, ast.List)
                    and not init.value.elts):
                yield name, init

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
            if isinstance(parent, (ast.For, ast.AsyncFor)) and cur in parent.body and name in _bound_names(parent):
                return True  # the target of an enclosing loop, bound before each run of its body
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
                pure = isinstance(parent.func, ast.Name) and (self.builtin_name(parent.func.id) in PURE_BUILTINS
                                                              or self.total_call(parent) in HASHABLE_ATOMS)
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

    def in_fallback(self, node: ast.AST) -> bool:
        """`node` is (inside) the slow branch of `FAST if TEST else SLOW`, FAST reading a local bound once
        (`_L_index[x] if x in _L_index else L.index(x)`, `_max_L if L else max(L)`): what a rule leaves
        behind when the fast path may not apply. Rewriting SLOW again only adds a second copy of the alias."""
        child, cur = node, self.m.parents.get(node)
        while cur is not None and not isinstance(cur, ast.stmt):
            if isinstance(cur, ast.IfExp) and cur.orelse is child:
                fast = cur.body.value if isinstance(cur.body, ast.Subscript) else cur.body
                if isinstance(fast, ast.Name) and fast.id not in self.params and len(self.bindings.get(fast.id, ())) == 1:
                    return True
            child, cur = cur, self.m.parents.get(cur)
        return False

    def opaque_calls(self, region: ast.AST, allow: frozenset[str] = frozenset()) -> bool:
        """Whether region may run code that could change what it was given (`allow`: local functions known not to)."""
        for node in _walk_region(region):
            if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
                return True
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in allow:
                continue
            if isinstance(func, ast.Name) and self.builtin_name(func.id) in PURE_BUILTINS:
                continue
            if isinstance(func, ast.Name) and self.total_call(node) is not None:
                self.pure_calls_used.add(func.id)
                continue
            if isinstance(func, ast.Name) and func.id in self.m.pure_functions and func.id not in self.bindings \
                    and func.id not in self.params and func.id not in self.declared:
                self.pure_calls_used.add(func.id)  # perf_rules/calls.py: it changes nothing it is given
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
            if not isinstance(node, ast.Assign) or not (_fresh_value(node.value) or self._fresh_split(node.value)):
                return False
        return all(kind in ("read", "mutate", "assign", "return") for kind, _ in self.uses(name, self.fn))

    def _fresh_split(self, node: ast.AST) -> bool:
        """`text.split(...)` of a str or bytes: a list nobody else holds."""
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("split", "rsplit", "splitlines") and self.type_of(node.func.value) in ("str", "bytes")

    def stable(self, name: str, region: ast.AST) -> bool:
        """`name` keeps the same value and contents throughout region."""
        if name in self.declared or name in self.nested_refs:
            return False
        if _is_hashable(self.type_of(ast.Name(id=name, ctx=ast.Load()))):
            # a str/int/... or a tuple of them cannot change in place: only rebinding changes it, and
            # handing it to other code (`group.append(word)`) cannot
            return not any(kind == "assign" for kind, _ in self.uses(name, region))
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

