"""Repairs a C programmer writes for what ESBMC finds from `main`, as whole-file texts.

Keyed on ESBMC's property at the failing line (tools/verify/c_program.py finds it):
- division by zero: `if (d == 0) return ERR;` before the statement that divides by `d`;
- NULL pointer: `if (p == NULL) return ERR;` after `p`'s allocation, else before the failing
  statement (every pointer that line dereferences or passes on);
- bounds (in a library call too): `strcpy(d, s)` -> `strncpy(d, s, sizeof(d) - 1)` plus the
  terminator, a copy length capped at `sizeof(d) - 1`, a limit `if (n > cap) n = cap;` -> `cap - 1`;
- use after free: the `free(p)` moved after p's last use (a returned use is read first);
- double free: the pointer set to NULL after an earlier `free`, or the failing `free` dropped;
- memory leak: `free(p)` before a `return` that leaves a local allocation behind;
- signed overflow: `(a + b) / 2` -> `a + (b - a) / 2`, else `__builtin_*_overflow` with the
  function's error value.
ERR is the function's documented error value: the value the comment above it names ("-1 when
the stack is empty"), else the literal its other `return`s already use (a negative one first),
NULL for pointers, 1 in main, else -1. An index `n - 1` out of bounds also gets the empty
container's guard `if (n <= 0) return ERR;`.
"""

from __future__ import annotations

import re
from collections import Counter

from suture.tools.verify.c_harness import CFunction, c_parser

__all__ = ["error_value", "program_candidates"]

ALLOCATORS = ("malloc", "calloc", "realloc", "strdup", "strndup")


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _text(node) -> str:
    return node.text.decode("utf-8", "replace")


def _statement(node):
    while node is not None and node.type not in ("expression_statement", "return_statement", "declaration"):
        node = node.parent
    return node


def error_value(func: CFunction, fnode, skip=None) -> str:
    """`return ...;` with the error value `func`'s other returns already use."""
    if func.returns == "void":
        return "return;"
    if func.name == "main":
        return "return 1;"
    documented = _documented_error(fnode)
    if documented:
        return f"return {documented};"
    if func.returns == "pointer":
        return "return NULL;"
    literals = [_text(n.named_children[0]) for n in _walk(fnode) if n.type == "return_statement" and n is not skip
                and n.named_children and re.fullmatch(r"-?\d+", _text(n.named_children[0]))]
    negative = [v for v in literals if v.startswith("-")]
    if negative:
        return f"return {Counter(negative).most_common(1)[0][0]};"
    return f"return {Counter(literals).most_common(1)[0][0]};" if literals else "return -1;"


def _documented_error(fnode) -> str:
    """The value the comment right above the function promises for the bad case ("-1 when the list
    is empty", "NULL if none"), or ""."""
    comment = fnode.prev_named_sibling
    if comment is None or comment.type != "comment" or comment.end_point[0] + 1 < fnode.start_point[0]:
        return ""
    match = re.search(r"(-?\d+|NULL)\s+(?:when|if)\b", _text(comment))
    return match.group(1) if match else ""


def _before(statement, data: bytes, text: str) -> list[tuple[int, int, str]]:
    if statement.parent is not None and statement.parent.type != "compound_statement":
        return [(statement.start_byte, statement.end_byte, "{ " + text + " " + _text(statement) + " }")]
    line_start = data.rfind(b"\n", 0, statement.start_byte) + 1
    indent = data[line_start:statement.start_byte].decode()
    if indent.strip():
        return [(statement.start_byte, statement.start_byte, text + " ")]
    return [(line_start, line_start, indent + text + "\n")]


def _after(statement, data: bytes, text: str) -> list[tuple[int, int, str]]:
    line_start = data.rfind(b"\n", 0, statement.start_byte) + 1
    indent = data[line_start:statement.start_byte].decode()
    if statement.parent is not None and statement.parent.type != "compound_statement":
        return [(statement.start_byte, statement.end_byte, "{ " + _text(statement) + " " + text + " }")]
    return [(statement.end_byte, statement.end_byte, "\n" + (indent if not indent.strip() else "") + text)]


def _apply(data: bytes, changes: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(changes, key=lambda c: c[0], reverse=True):
        data = data[:start] + new.encode("utf-8") + data[end:]
    return data.decode("utf-8")


def _calls(node, names) -> list:
    return [n for n in _walk(node) if n.type == "call_expression" and n.child_by_field_name("function") is not None
            and _text(n.child_by_field_name("function")) in names]


def _mentions(node, name: str) -> bool:
    return re.search(rf"(?<![\w.>]){re.escape(name)}(?!\w)", _text(node)) is not None


def program_candidates(source: str, func: CFunction, line: int | None, message: str) -> list[tuple[str, str]]:
    """(description, whole file text) of each repair for ESBMC's `message` at `line` of `func`."""
    data = source.encode("utf-8")
    root = c_parser().parse(data).root_node
    fnode = next(n for n in root.children if n.type == "function_definition" and n.start_byte == func.start_byte)
    nodes = list(_walk(fnode))
    at_line = [n for n in nodes if line is not None and n.start_point[0] + 1 == line]
    statement = next((_statement(n) for n in at_line if _statement(n) is not None), None)
    err = error_value(func, fnode, skip=statement if statement is not None and statement.type == "return_statement" else None)
    text = message.lower()
    out: list[tuple[str, list]] = []
    if "division by zero" in text and statement is not None:
        out += _divisor_guards(statement, data, err)
    if "null pointer" in text and statement is not None:
        out += _null_guards(fnode, statement, data, err)
    if ("bounds" in text or "memcpy" in text or "strcpy" in text or "writing memory" in text) and statement is not None:
        out += _empty_guards(statement, data, err)
        out += _buffer_limits(root, fnode, statement, data)
    if "invalidated dynamic object" in text and "freed" not in text and statement is not None:
        out += _free_moved(func, fnode, statement, data)
    if "invalidated dynamic object freed" in text and statement is not None:
        out += _double_free(fnode, statement, data)
    if "overflow" in text and statement is not None:
        out += _overflow_guards(statement, data, err)
    return [(description, _apply(data, edits)) for description, edits in out]


def leak_candidates(source: str, functions: list[CFunction]) -> list[tuple[str, str]]:
    """`free(p)` before each `return` that leaves the local allocation `p` behind, in any function."""
    data = source.encode("utf-8")
    root = c_parser().parse(data).root_node
    out = []
    for func in functions:
        fnode = next((n for n in root.children if n.type == "function_definition" and n.start_byte == func.start_byte), None)
        if fnode is None:
            continue
        owned = _owned_pointers(fnode, functions)
        for name, declared in owned:
            returns = [n for n in _walk(fnode) if n.type == "return_statement" and n.start_byte > declared.end_byte
                       and not _mentions(n, name) and not _guarded_by_null_check(n, name)]
            for ret in returns:
                if not _freed_before(ret, name):
                    out.append((f"free `{name}` before the return at line {ret.start_point[0] + 1}",
                                _apply(data, _before(ret, data, f"free({name});"))))
            body = fnode.child_by_field_name("body")
            last = body.named_children[-1] if body is not None and body.named_children else None
            if func.returns == "void" and last is not None and last.type != "return_statement" and not _mentions(last, f"free({name}"):
                out.append((f"free `{name}` at the end of {func.name}", _apply(data, _after(last, data, f"free({name});"))))
    return out


def _owned_pointers(fnode, functions: list[CFunction]) -> list[tuple[str, object]]:
    """Locals assigned an allocation (or a pointer a function of the file returns) and never returned or freed."""
    makers = set(ALLOCATORS) | {f.name for f in functions if f.returns == "pointer"}
    owned = []
    for call in _calls(fnode, makers):
        holder = call.parent
        name = None
        if holder is not None and holder.type == "init_declarator":
            declarator = holder.child_by_field_name("declarator")
            while declarator is not None and declarator.type == "pointer_declarator":
                declarator = declarator.child_by_field_name("declarator")
            name = _text(declarator) if declarator is not None and declarator.type == "identifier" else None
        elif holder is not None and holder.type == "assignment_expression":
            left = holder.child_by_field_name("left")
            name = _text(left) if left is not None and left.type == "identifier" else None
        statement = _statement(call)
        if not name or statement is None:
            continue
        body_text = _text(fnode)
        if re.search(rf"return\s+{re.escape(name)}\s*;", body_text) or f"free({name})" in body_text.replace(" ", "") and False:
            continue
        owned.append((name, statement))
    return owned


def _guarded_by_null_check(ret, name: str) -> bool:
    parent = ret.parent
    while parent is not None and parent.type not in ("if_statement", "function_definition"):
        parent = parent.parent
    if parent is None or parent.type != "if_statement":
        return False
    condition = _text(parent.child_by_field_name("condition") or parent).replace(" ", "")
    return condition in (f"({name}==NULL)", f"(!{name})", f"({name}==0)")


def _freed_before(ret, name: str) -> bool:
    previous = ret.prev_named_sibling
    return previous is not None and _text(previous).replace(" ", "").startswith(f"free({name})")


def _divisor_guards(statement, data: bytes, err: str) -> list:
    out = []
    for node in _walk(statement):
        if node.type != "binary_expression":
            continue
        op = node.child_by_field_name("operator")
        right = node.child_by_field_name("right")
        if op is None or right is None or op.type not in ("/", "%") or right.type == "number_literal":
            continue
        divisor = _text(right)
        inner = divisor[1:-1] if right.type == "parenthesized_expression" else divisor
        inner = re.sub(r"^\(\s*(unsigned|int|long|size_t)\s*\)\s*", "", inner)
        out.append((f"return early when the divisor `{inner}` is 0", _before(statement, data, f"if ({inner} == 0) {err}")))
    return out


def _empty_guards(statement, data: bytes, err: str) -> list:
    """`xs[n - 1]` on an empty container: `if (n <= 0) return ERR;` before the statement."""
    out = []
    for node in _walk(statement):
        index = node.child_by_field_name("index") if node.type == "subscript_expression" else None
        if index is None or index.type != "binary_expression":
            continue
        op, left, right = (index.child_by_field_name(k) for k in ("operator", "left", "right"))
        if op is not None and _text(op) == "-" and right is not None and _text(right) == "1" and left is not None:
            count = _text(left)
            out.append((f"return early when `{count}` is 0 (empty)", _before(statement, data, f"if ({count} <= 0) {err}")))
    return out


def _dereferenced(statement) -> list[str]:
    names = []
    for node in _walk(statement):
        target = None
        if node.type == "field_expression" and node.child_by_field_name("operator") is not None \
                and _text(node.child_by_field_name("operator")) == "->":
            target = node.child_by_field_name("argument")
        elif node.type == "subscript_expression":
            target = node.child_by_field_name("argument")
        elif node.type == "pointer_expression" and _text(node).startswith("*"):
            target = node.child_by_field_name("argument")
        elif node.type == "argument_list":
            names += [_text(a) for a in node.named_children if a.type in ("identifier", "field_expression")]
        if target is not None and target.type == "identifier":
            names.append(_text(target))
    return list(dict.fromkeys(names))


def _null_guards(fnode, statement, data: bytes, err: str) -> list:
    out = []
    for name in _dereferenced(statement):
        allocation = next((_statement(c) for c in _calls(fnode, ALLOCATORS)
                           if _statement(c) is not None and _statement(c).end_byte <= statement.start_byte
                           and re.match(rf"\s*(\w[\w\s*]*\*\s*)?{re.escape(name)}\s*=", _text(_statement(c)))), None)
        guard = f"if ({name} == NULL) {err}"
        if allocation is not None:
            out.append((f"return early when the allocation `{name}` fails", _after(allocation, data, guard)))
        out.append((f"return early when `{name}` is NULL", _before(statement, data, guard)))
    return out


def _array_names(root) -> set[str]:
    return {_text(n.child_by_field_name("declarator")) for n in _walk(root) if n.type == "array_declarator"
            and n.child_by_field_name("declarator") is not None and n.child_by_field_name("declarator").type in
            ("identifier", "field_identifier")}


def _is_array(expression: str, arrays: set[str]) -> bool:
    last = re.split(r"->|\.", expression)[-1].strip()
    return re.fullmatch(r"\w+", last) is not None and last in arrays


def _buffer_limits(root, fnode, statement, data: bytes) -> list:
    out = []
    arrays = _array_names(root)
    for call in _calls(statement, ("strcpy", "memcpy", "strcat")):
        args = call.child_by_field_name("arguments").named_children
        if not args or not _is_array(_text(args[0]), arrays):
            continue
        dst = _text(args[0])
        name = _text(call.child_by_field_name("function"))
        if name == "strcpy" and len(args) == 2:
            new = f"strncpy({dst}, {_text(args[1])}, sizeof({dst}) - 1);\n  {dst}[sizeof({dst}) - 1] = '\\0';"
            out.append((f"strcpy into `{dst}` limited to sizeof({dst}) - 1 and terminated",
                        [(statement.start_byte, statement.end_byte, new)]))
        elif name == "memcpy" and len(args) == 3:
            n = _text(args[2])
            new = (f"memcpy({dst}, {_text(args[1])}, {n} < sizeof({dst}) ? {n} : sizeof({dst}) - 1);\n"
                   f"  {dst}[sizeof({dst}) - 1] = '\\0';")
            out.append((f"memcpy into `{dst}` limited to sizeof({dst}) - 1 and terminated",
                        [(statement.start_byte, statement.end_byte, new)]))
    # `if (n > cap) n = cap;` caps a length at the size, where the terminator needs size - 1.
    for node in _walk(fnode):
        if node.type != "if_statement":
            continue
        match = re.fullmatch(r"if\s*\(\s*(\w+)\s*>\s*(\w+)\s*\)\s*\1\s*=\s*\2\s*;", _text(node), re.S)
        if match:
            var, cap = match.groups()
            out.append((f"limit `{var}` to `{cap} - 1` (room for the terminator)",
                        [(node.start_byte, node.end_byte, f"if ({var} > {cap} - 1)\n    {var} = {cap} - 1;")]))
    return out


def _free_moved(func: CFunction, fnode, statement, data: bytes) -> list:
    out = []
    for call in _calls(fnode, ("free",)):
        free_stmt = _statement(call)
        args = call.child_by_field_name("arguments").named_children
        if free_stmt is None or not args or free_stmt.start_byte >= statement.start_byte or free_stmt.parent is None:
            continue
        name = _text(args[0])
        block = free_stmt.parent
        later = [s for s in block.named_children if s.start_byte > free_stmt.start_byte and _mentions(s, name)]
        if not later:
            continue
        last = later[-1]
        removal = (free_stmt.start_byte, _line_end(data, free_stmt.end_byte), "")
        if last.type == "return_statement":
            expression = _text(last.named_children[0]) if last.named_children else ""
            kind = func.returns if func.returns not in ("pointer", "float") else f"__typeof__({expression})"
            kind = "double" if func.returns == "float" else kind
            new = f"{kind} result = {expression};\n  free({name});\n  return result;"
            edits = [removal, (last.start_byte, last.end_byte, new)]
        else:
            edits = [removal, *_after(last, data, f"free({name});")]
        out.append((f"free `{name}` after its last use (line {last.end_point[0] + 1}), not before it", edits))
    return out


def _line_end(data: bytes, end: int) -> int:
    newline = data.find(b"\n", end)
    return newline + 1 if newline != -1 and not data[end:newline].strip() else end


def _double_free(fnode, statement, data: bytes) -> list:
    out = []
    failing = next(iter(_calls(statement, ("free",))), None)
    for call in _calls(fnode, ("free",)):
        free_stmt = _statement(call)
        args = call.child_by_field_name("arguments").named_children
        if free_stmt is None or not args:
            continue
        name = _text(args[0])
        if free_stmt.start_byte == statement.start_byte:
            out.append((f"set `{name}` to NULL after it is freed", _after(free_stmt, data, f"{name} = NULL;")))
        elif free_stmt.start_byte < statement.start_byte:
            out.append((f"set `{name}` to NULL after the earlier free at line {free_stmt.start_point[0] + 1}",
                        _after(free_stmt, data, f"{name} = NULL;")))
            out.append((f"drop the earlier free of `{name}` at line {free_stmt.start_point[0] + 1}",
                        [(free_stmt.start_byte, _line_end(data, free_stmt.end_byte), "")]))
    if failing is not None:
        out.append(("drop the second free", [(statement.start_byte, _line_end(data, statement.end_byte), "")]))
    return out


def _overflow_guards(statement, data: bytes, err: str) -> list:
    out = []
    source = _text(statement)
    midpoint = re.search(r"\((\w+)\s*\+\s*(\w+)\)\s*/\s*2", source)
    if midpoint:
        lo, hi = midpoint.groups()
        out.append(("midpoint without overflow", [(statement.start_byte, statement.end_byte,
                                                   source.replace(midpoint.group(0), f"{lo} + ({hi} - {lo}) / 2"))]))
    builtin = {"+": "add", "-": "sub", "*": "mul"}
    compound = re.fullmatch(r"\s*([\w.>-]+)\s*([+*-])=\s*(.+?);\s*", source, re.S)
    if compound:
        target, op, value = compound.groups()
        out.append((f"`{source.strip()}` checked with __builtin_{builtin[op]}_overflow",
                    [(statement.start_byte, statement.end_byte,
                      f"if (__builtin_{builtin[op]}_overflow({target}, {value}, &{target})) {err}")]))
    returned = re.fullmatch(r"return\s+(.+?)\s*([+*-])\s*(.+?);", source.strip(), re.S)
    if returned and statement.type == "return_statement":
        left, op, right = returned.groups()
        out.append((f"`{left} {op} {right}` checked with __builtin_{builtin[op]}_overflow",
                    [(statement.start_byte, statement.end_byte,
                      f"__typeof__({left} {op} {right}) result;\n  if (__builtin_{builtin[op]}_overflow({left}, {right}, &result)) "
                      f"{err}\n  return result;")]))
    return out
