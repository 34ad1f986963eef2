"""Templates over calls and values: argument order, variables, return values, missing returns, guards."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator

from suture.agent.propose.templates.source import (
    _FUNCTIONS,
    _SCOPES,
    Mutation,
    SourceFile,
    Span,
    _is_atom,
    _is_none,
    _replace,
    _short,
    _walk_own,
)


def swap_args(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Swap two neighbouring positional arguments of a call, or the operands of a non-commutative operator."""
    for node in nodes:
        if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args):
            for a, b in zip(node.args, node.args[1:]):
                ta, tb = src.segment(a), src.segment(b)
                if ta == tb:
                    continue
                yield Mutation("swap_args", a.lineno, f"arguments `{_short(ta, 20)}` and `{_short(tb, 20)}` swapped "
                               f"in line {a.lineno}", (Span(src.start(a), src.end(a), tb), Span(src.start(b), src.end(b), ta)))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)) \
                and _is_atom(node.left) and _is_atom(node.right):
            ta, tb = src.segment(node.left), src.segment(node.right)
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, (str, bytes)):
                continue
            yield Mutation("swap_args", node.lineno, f"operands `{_short(ta, 20)}` and `{_short(tb, 20)}` swapped in "
                           f"line {node.lineno}", (Span(src.start(node.left), src.end(node.left), tb),
                                                   Span(src.start(node.right), src.end(node.right), ta)), weight=0.6)


def _nearby(candidates: dict[str, list[int]], line: int, exclude: str, limit: int) -> list[str]:
    """Names used close to `line`, the similarly spelled first among equally close ones (`dr` for `dc`):
    the variables a slip most likely meant."""
    def key(name: str) -> tuple:
        distance = min(abs(x - line) for x in candidates[name])
        return distance // 4, -difflib.SequenceMatcher(None, name, exclude).ratio(), distance, name

    return sorted((n for n in candidates if n != exclude), key=key)[:limit]


def replace_variable(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """A local read replaced by another local of the same function used nearby; `self.a` by another `self.b`."""
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            function = src.enclosing_function(node)
            if function is None:
                continue
            facts = src.facts(function)
            if node.id not in facts.locals():
                continue  # a global, builtin or import: the similar-call template's business
            parent = src.parent.get(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                continue
            pool = {name: [*facts.stores.get(name, []), *facts.reads.get(name, [])] or [function.lineno]
                    for name in facts.locals() if name != "self" and facts.compatible(node.id, name)}
            for rank, other in enumerate(_nearby(pool, node.lineno, node.id, 8)):
                yield Mutation("replace_variable", node.lineno, f"`{node.id}` -> `{other}` in line {node.lineno}",
                               _replace(src, node, other), weight=1.0 / (1 + 0.3 * rank))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load):
            # `obj.a` -> `obj.b`: b another attribute used on the same name here, or a field a class of the file defines.
            function = src.enclosing_function(node)
            parent = src.parent.get(node)
            if function is None or (isinstance(parent, ast.Call) and parent.func is node):
                continue
            base = node.value.id
            used = {n.attr: [n.lineno] for n in _walk_own(function) if isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name) and n.value.id == base}
            if base in src.module_names and base not in src.facts(function).locals():
                continue  # a module's attribute: similar_call's and the imports' business
            fields = {f: [node.lineno + 10] for f in _all_fields(src) if f not in used}
            choices = _nearby(used, node.lineno, node.attr, 3)
            choices += difflib.get_close_matches(node.attr, [f for f in fields if f != node.attr], n=3, cutoff=0.5)
            for rank, other in enumerate(choices[:5]):
                end = src.end(node)
                yield Mutation("replace_variable", node.lineno, f"`{base}.{node.attr}` -> `{base}.{other}` in line "
                               f"{node.lineno}", (Span(end - len(node.attr), end, other),), weight=0.8 / (1 + 0.3 * rank))


def _all_fields(src: SourceFile) -> set[str]:
    fields = class_fields(src)
    if src.outside_fields is not None:
        fields = fields | src.outside_fields()
        src.fields, src.outside_fields = fields, None
    return fields


def class_fields(src: SourceFile) -> set[str]:
    """Attributes the file's classes define: annotated or assigned names in class bodies, `self.x = ...`."""
    if src.fields is None:
        fields: set[str] = set()
        for node in ast.walk(src.tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                        fields.add(stmt.target.id)
                    elif isinstance(stmt, ast.Assign):
                        fields.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                    isinstance(node.value, ast.Name) and node.value.id == "self":
                fields.add(node.attr)
        src.fields = fields
    return src.fields


def _values_in_scope(src: SourceFile, function: ast.AST, line: int, limit: int) -> list[str]:
    """In-scope values a function might return at `line`: locals assigned before it (latest first),
    parameters, `self` and the `self.<attr>`s it uses."""
    facts = src.facts(function)
    assigned = sorted(((max(l for l in lines if l <= line), name) for name, lines in facts.stores.items()
                       if any(l <= line for l in lines) and name not in facts.declared), reverse=True)
    values = [name for _, name in assigned]
    values += [p for p in facts.params if p not in ("self", "cls")]
    if "self" in facts.params:
        values.append("self")
        values += [f"self.{a}" for a in _nearby(facts.self_attrs, line, "", 4)]
        # A property or getter often returns the attribute it is named after: `threshold` -> `self._threshold`.
        fields = [f for f in class_fields(src) if f not in facts.self_attrs]
        values += [f"self.{a}" for a in difflib.get_close_matches(function.name, fields, n=2, cutoff=0.6)]
    seen: list[str] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen[:limit]


def return_value(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """The returned expression replaced by another in-scope value (or another return's expression)."""
    for node in nodes:
        if not isinstance(node, ast.Return):
            continue
        function = src.enclosing_function(node)
        if function is None:
            continue
        current = src.segment(node.value) if node.value is not None else ""
        others = [src.segment(r.value) for r in _walk_own(function)
                  if isinstance(r, ast.Return) and r.value is not None and r is not node and not _is_none(r.value)]
        pool = _values_in_scope(src, function, node.lineno, 8) + [o for o in others if "\n" not in o]
        weight = 1.0 if _is_none(node.value) else 0.5  # `return None` / bare return in a value function: likely wrong
        seen = {current}
        for rank, value in enumerate(pool):
            if value in seen:
                continue
            seen.add(value)
            if node.value is None:
                span = Span(src.start(node), src.end(node), f"return {value}")
            else:
                span = Span(src.start(node.value), src.end(node.value), value)
            yield Mutation("return_value", node.lineno, f"return `{_short(value)}` instead of "
                           f"`{_short(current) or 'None'}` in line {node.lineno}", (span,),
                           weight=weight / (1 + 0.2 * rank))


def _blocks(function: ast.AST) -> Iterator[list[ast.stmt]]:
    """Statement lists of a function (its body and the bodies of its compound statements, not nested defs)."""
    stack = [function.body]
    while stack:
        body = stack.pop()
        yield body
        for stmt in body:
            if isinstance(stmt, (*_SCOPES,)):
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if inner and isinstance(inner[0], ast.stmt):
                    stack.append(inner)
            for handler in getattr(stmt, "handlers", []):
                stack.append(handler.body)
            for case in getattr(stmt, "cases", []):
                stack.append(case.body)


def _ends_flow(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _tail_blocks(function: ast.AST) -> Iterator[list[ast.stmt]]:
    """Blocks whose end is an end of the function: its body, and the branches of a final if / try."""
    stack = [function.body]
    while stack:
        body = stack.pop()
        yield body
        last = body[-1]
        if isinstance(last, ast.If):
            stack.append(last.body)
            if last.orelse:
                stack.append(last.orelse)
        elif isinstance(last, ast.Try):
            stack.append(last.orelse or last.body)
            stack.extend(h.body for h in last.handlers)
        elif isinstance(last, (ast.With, ast.AsyncWith)):
            stack.append(last.body)


def missing_return(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Add the `return` a function forgot: a computed value thrown away (`x in y` as a statement) ->
    `return x in y` anywhere; a call or an assignment ending the function -> returned; and
    `return <local>` where the function falls off its end."""
    owners: dict[ast.AST, None] = {}  # ordered set: the functions the scope's statements belong to
    for node in nodes:
        if isinstance(node, _FUNCTIONS):
            owners[node] = None
        elif isinstance(node, ast.stmt):
            function = src.enclosing_function(node)
            if function is not None:
                owners[function] = None
            if isinstance(node, ast.Expr) and function is not None and not isinstance(
                    node.value, (ast.Call, ast.Constant, ast.Yield, ast.YieldFrom, ast.Await, ast.Attribute)):
                # An expression statement that is not a call: its value is computed and dropped.
                yield Mutation("missing_return", node.lineno, f"`return` added before `{_short(src.segment(node))}` "
                               f"in line {node.lineno}", (Span(src.start(node), src.start(node), "return "),))
    for function in owners:
        facts = src.facts(function)
        for body in _tail_blocks(function):
            last = body[-1]
            if _ends_flow(last) or not src.owns_lines(last):
                continue
            indent = src.indent_of(last.lineno)
            after = src.line_end(last.end_lineno)
            newline = "" if src.text[after - 1 : after] == "\n" else "\n"
            if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
                yield Mutation("missing_return", last.lineno, f"`return` added before `{_short(src.segment(last))}` in "
                               f"line {last.lineno}", (Span(src.start(last), src.start(last), "return "),),
                               weight=1.0 if facts.returns_value else 0.5)
            elif isinstance(last, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = last.targets if isinstance(last, ast.Assign) else [last.target]
                names = [src.segment(t) for t in targets if isinstance(t, (ast.Name, ast.Attribute))]
                for name in names[:2]:
                    yield Mutation("missing_return", last.lineno, f"`return {name}` added after line {last.end_lineno}",
                                   (Span(after, after, f"{newline}{indent}return {name}\n"),))
            if body is function.body and function.name != "__init__":
                weight = 0.7 if facts.returns_value else 0.4
                for rank, value in enumerate(_results(src, function, last.end_lineno, 4)):
                    yield Mutation("missing_return", last.lineno, f"`return {value}` added at the end of "
                                   f"`{function.name}` (after line {last.end_lineno})",
                                   (Span(after, after, f"{newline}{indent}return {value}\n"),),
                                   weight=weight / (1 + 0.3 * rank))


def _results(src: SourceFile, function: ast.AST, line: int, limit: int) -> list[str]:
    """Locals a function may have meant to return at its end: not loop variables, the latest used first."""
    loop_vars = {n.id for node in _walk_own(function) if isinstance(node, (ast.For, ast.AsyncFor))
                 for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    facts = src.facts(function)
    last_use = {name: max(facts.stores.get(name, []) + facts.reads.get(name, [])) for name in facts.stores
                if name not in loop_vars}
    return sorted(last_use, key=lambda name: -last_use[name])[:limit]


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _uses(stmt: ast.stmt) -> list[str]:
    """Names the statement dereferences (x.attr, x[i], len(x), for .. in x, f(x)): a None there fails."""
    used: list[str] = []
    header = [stmt.test] if isinstance(stmt, (ast.If, ast.While)) else [stmt.iter] if isinstance(stmt, ast.For) \
        else [] if isinstance(stmt, (*_SCOPES, ast.Try, ast.With)) else [stmt]
    for part in header:
        for n in ast.walk(part):
            target = None
            if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.value, ast.Name):
                target = n.value.id
            elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute) and \
                    isinstance(n.value.value, ast.Name) and n.value.value.id == "self":
                target = f"self.{n.value.attr}"
            elif isinstance(n, ast.Call):
                target = next((a.id for a in n.args if isinstance(a, ast.Name)), None)
            elif isinstance(n, ast.comprehension) and isinstance(n.iter, ast.Name):
                target = n.iter.id
            if target and target not in used and target not in ("self", "cls") and isinstance(stmt, ast.stmt):
                used.append(target)
    if isinstance(stmt, ast.For) and isinstance(stmt.iter, ast.Name) and stmt.iter.id not in used:
        used.insert(0, stmt.iter.id)
    return used


def _in_loop(src: SourceFile, stmt: ast.stmt, function: ast.AST) -> bool:
    """Inside a loop's body (where `break` / `continue` are allowed; a loop's `else` is not)."""
    child, node = stmt, src.parent.get(stmt)
    while node is not None and node is not function:
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)) and child in node.body:
            return True
        child, node = node, src.parent.get(node)
    return False


_DOC_LITERAL = re.compile(r"(?<![\w.])(None|-?\d+\.\d+|-?\d+|\[\]|\{\}|\(\)|''|\"\"|True|False)(?![\w.])")


def _exit_values(src: SourceFile, function: ast.AST) -> list[str]:
    """Values a guard may return: literals the docstring mentions ("0.0 when there are no rows"), then None."""
    doc = ast.get_docstring(function) or ""
    found = [m.group(1) for m in _DOC_LITERAL.finditer(doc)]
    values = []
    for v in [*found, "None"]:
        if v not in values:
            values.append(v)
    return values[:3]


def guard(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """A missing None / empty check (TBar's null-pointer pattern): `if x is None: return ...` or
    `if not x: return ...` inserted before the first statement that dereferences `x` (a local or
    `self.attr`); `return x` -> `return <other> if x is None else x`."""
    done: set[tuple[ast.AST, str]] = set()
    for stmt in nodes:
        if not isinstance(stmt, ast.stmt) or isinstance(stmt, (*_SCOPES,)) or not src.owns_lines(stmt):
            continue
        function = src.enclosing_function(stmt)
        if function is None:
            continue
        facts = src.facts(function)
        local = set(facts.params) | set(facts.stores)
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, (ast.Name, ast.Attribute)):
            value = src.segment(stmt.value)
            others = [v for v in [*(p for p in facts.params if p not in ("self", "cls")), "None"] if v != value]
            for rank, other in enumerate(others[:3]):
                text = f"{other} if {value} is None else {value}"
                yield Mutation("guard", stmt.lineno, f"`return {text}` in line {stmt.lineno}",
                               _replace(src, stmt.value, text), weight=0.8 / (1 + 0.3 * rank))
        indent = src.indent_of(stmt.lineno)
        step = src.body_indent_step(function, function.body)
        at = src.line_start(stmt.lineno)
        if facts.returns_value:
            exits = [f"return {v}" for v in _exit_values(src, function)]
        else:
            exits = ["return"]
        if _in_loop(src, stmt, function):
            exits = ["continue", *exits]
        for name in _uses(stmt):
            if (name not in local and not name.startswith("self.")) or (function, name) in done:
                continue
            done.add((function, name))  # the first use is where a guard belongs
            variants = [(f"if not {name}:", e, 1.0 if rank == 0 else 0.7) for rank, e in enumerate(exits)]
            variants += [(f"if {name} is None:", e, 0.9 if rank == 0 else 0.6) for rank, e in enumerate(exits)]
            if facts.returns_value and not name.startswith("self."):
                variants.append((f"if not {name}:", f"return {name}", 0.6))
            for test, exit_, weight in variants:
                text = f"{indent}{test}\n{indent}{step}{exit_}\n"
                yield Mutation("guard", stmt.lineno, f"`{test} {exit_}` inserted before line {stmt.lineno}",
                               (Span(at, at, text),), weight=weight)


