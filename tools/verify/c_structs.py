"""Structs as the C harnesses build them: one model of a struct's fields for ESBMC and gcc alike.

A struct parameter (by value, or a pointer to one object of it) gets every field it declares:
- integer and floating fields: nondeterministic values;
- a pointer to integers or floats: a heap buffer of nondeterministic length 0..MAX_LEN. A sibling
  integer field named like a length (`count`, `len`, `size`, `n`, `items_len`, ...) holds at most
  that many elements (a list may have spare capacity, never fewer slots than its count); one named
  like a capacity (`cap`, `capacity`, `alloc`) is that length. A pointer without a length field is
  one object; a `char *` without one is a NUL-terminated string;
- fixed-size array fields: nondeterministic first MAX_LEN elements, the rest 0 (within the unwinding bound);
- a nested struct (by value, or a pointer to one object) is built the same way, one level deep: the
  nested struct's own struct pointers are NULL (a list of at most two nodes);
- in the harness's "NULL allowed" phase, a struct pointer (the parameter or a field) and a string or
  object field may be NULL, and a buffer field is NULL when its length is 0.

Every value is a named nondeterministic variable, `<param>_<field>[_<field>]`, with `_len` for a
buffer's length, `_item` for its contents and `_null` for a pointer left NULL, so ESBMC's trace
names all of them and `case_from_trace` rebuilds the concrete struct the driver replays.

Unions, function pointers and pointers to pointers are not modelled: a function that takes one
(as a parameter or a field) is reported unsupported by name.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.tools.verify.c_types import FLOAT_WORDS, INT_WORDS, c_parser, type_words

__all__ = ["Field", "StructShape", "struct_shapes", "esbmc_lines", "driver_lines", "case_from_trace",
           "sample_values", "describe"]

MAX_DEPTH = 1  # nested structs are built one level below the parameter's own
_CAPACITY_NAME = re.compile(r"^(cap|capacity|alloc|allocated|reserved)$|(_cap|_capacity|_alloc)$", re.I)
_LENGTH_NAME = re.compile(r"^(n|len|length|size|count|cnt|num|sz|used|nelem|nmemb|top)$|^(n|num)_|"
                          r"(_len|_size|_count|_n|_used|len|size|count)$", re.I)


@dataclass
class Field:
    name: str
    base: str  # the type without pointer and qualifiers: "int", "struct node", "node_t"
    kind: str  # scalar | length | capacity | buffer | string | object | array | struct | struct_ptr
    length: str = ""  # for a buffer: its length or capacity fields, comma-separated
    size: str = ""  # for an array: its declared size text
    shape: "StructShape | None" = None  # for struct and struct_ptr fields

    @property
    def unsigned(self) -> bool:
        return "unsigned" in self.base.split() or self.base.startswith("uint") or self.base == "size_t"

    @property
    def floating(self) -> bool:
        return bool(set(self.base.split()) & {"float", "double"})


@dataclass
class StructShape:
    name: str  # as written: "struct list", "list_t"
    fields: list[Field] = field(default_factory=list)
    unsupported: str = ""  # why the harness cannot build it ("" when it can)


# ---------------------------------------------------------------- reading the definitions


def struct_shapes(source: bytes, file: Path | None = None) -> dict[str, StructShape]:
    """Every struct the file (and the local headers it includes) defines, under each name it goes by."""
    parser = c_parser()
    texts = [source]
    if file is not None:  # `#include "list.h"` beside the file: its structs are the file's too
        for header in re.findall(rb'#\s*include\s*"([^"]+)"', source):
            path = file.parent / header.decode("utf-8", "replace")
            if path.is_file() and path.stat().st_size < 200_000:
                texts.append(path.read_bytes())
    bodies: dict[str, tuple[Any, bytes]] = {}  # "struct tag" or alias -> (field_declaration_list node, source)
    aliases: dict[str, str] = {}  # alias -> "struct tag"
    refused: dict[str, str] = {}  # unions and function pointer types -> why
    for text in texts:
        _collect(parser.parse(text).root_node, text, bodies, aliases, refused)
    for alias, target in aliases.items():
        if target in bodies and alias not in bodies:
            bodies[alias] = bodies[target]
        if target in refused:
            refused[alias] = refused[target].replace(target, f"{alias} ({target})", 1)
    shapes = {name: _shape(name, bodies, refused, depth=0, seen=()) for name in bodies}
    for name, why in refused.items():
        shapes.setdefault(name, StructShape(name, [], why))
    return shapes


def _collect(root, text: bytes, bodies: dict, aliases: dict, refused: dict) -> None:
    for node in root.children:
        if node.type not in ("declaration", "type_definition", "struct_specifier", "union_specifier"):
            continue
        if node.type == "type_definition" and any(n.type == "function_declarator" for n in _walk(node)):
            for name in [_declared_name(d, "type_identifier") for d in node.children_by_field_name("declarator")]:
                refused[name] = f"{name} is a function pointer type, which the harness does not model"
            continue
        spec = node if node.type.endswith("_specifier") else node.child_by_field_name("type")
        if spec is None or spec.type not in ("struct_specifier", "union_specifier"):
            continue
        keyword = "struct" if spec.type == "struct_specifier" else "union"
        tag = spec.child_by_field_name("name")
        body = spec.child_by_field_name("body")
        full = f"{keyword} {tag.text.decode()}" if tag is not None else ""
        alias_names = [d.text.decode() for d in node.children_by_field_name("declarator")
                       if node.type == "type_definition" and d.type == "type_identifier"]
        if keyword == "union":
            for name in [n for n in [full, *alias_names] if n]:
                refused[name] = f"{name} is a union, which the harness does not model"
            continue
        if body is not None:
            for name in [full, *alias_names]:
                if name:
                    bodies[name] = (body, text)
        elif full:
            for alias in alias_names:
                aliases[alias] = full


def _shape(name: str, bodies: dict, refused: dict, *, depth: int, seen: tuple[str, ...]) -> StructShape:
    body, text = bodies[name]
    shape = StructShape(name)
    for decl in body.named_children:
        if decl.type != "field_declaration":
            continue
        type_node = decl.child_by_field_name("type")
        base = " ".join(type_words(text[decl.start_byte:type_node.end_byte].decode("utf-8", "replace")))
        if type_node.type == "union_specifier" or base in refused:
            what = "a union" if type_node.type == "union_specifier" or "union" in refused[base] else "a function pointer"
            shape.unsupported = f"field {_field_names(decl)} of {name} is {what}, which the harness does not model"
            return shape
        for declarator in decl.children_by_field_name("declarator"):
            stars, size, node = 0, "", declarator
            while node.type in ("pointer_declarator", "array_declarator", "parenthesized_declarator"):
                if node.type == "pointer_declarator":
                    stars += 1
                elif node.type == "array_declarator":
                    if size or stars:
                        shape.unsupported = f"field {node.text.decode()} of {name} is a nested array"
                        return shape
                    size_node = node.child_by_field_name("size")
                    size = size_node.text.decode() if size_node is not None else ""
                node = node.child_by_field_name("declarator") or node.named_children[0]
            if node.type == "function_declarator" or "(*" in declarator.text.decode().replace(" ", ""):
                shape.unsupported = (f"field {_declared_name(node)} of {name} is a function pointer, which the "
                                     "harness does not model")
                return shape
            if node.type != "field_identifier":
                shape.unsupported = f"field {declarator.text.decode()} of {name} is not a plain declaration"
                return shape
            fname = node.text.decode()
            words = set(base.split())
            numeric = bool(words) and words <= (INT_WORDS | FLOAT_WORDS)
            if stars > 1 or (stars and size):
                shape.unsupported = f"field {fname} of {name} is a pointer to pointers, which the harness does not model"
                return shape
            if size:
                if not numeric or not size:
                    shape.unsupported = f"field {fname} of {name} is an array of {base}, which the harness does not model"
                    return shape
                shape.fields.append(Field(fname, base, "array", size=size))
            elif numeric:
                shape.fields.append(Field(fname, base, "buffer" if stars else "scalar"))
            elif base.startswith("enum ") and not stars:
                shape.fields.append(Field(fname, base, "scalar"))
            elif base in bodies or f"struct {base}" in bodies:
                key = base if base in bodies else f"struct {base}"
                if depth >= MAX_DEPTH or key in seen and not stars:
                    if not stars:
                        shape.unsupported = f"field {fname} of {name} nests structs deeper than the harness builds"
                        return shape
                    shape.fields.append(Field(fname, base, "struct_ptr"))  # NULL: the nesting stops here
                    continue
                nested = _shape(key, bodies, refused, depth=depth + 1, seen=(*seen, name))
                if nested.unsupported:
                    shape.unsupported = nested.unsupported
                    return shape
                shape.fields.append(Field(fname, base, "struct_ptr" if stars else "struct", shape=nested))
            elif stars and base == "void":
                shape.fields.append(Field(fname, "unsigned char", "buffer"))
            else:
                shape.unsupported = f"field {fname} of {name} has type {base or '?'}, which the harness cannot build"
                return shape
    _assign_lengths(shape.fields)
    return shape


def _field_names(decl) -> str:
    return ", ".join(d.text.decode() for d in decl.children_by_field_name("declarator")) or "(anonymous)"


def _declared_name(node, kind: str = "field_identifier") -> str:
    found = [n for n in _walk(node) if n.type == kind]
    return found[0].text.decode() if found else node.text.decode()


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _assign_lengths(fields: list[Field]) -> None:
    """Pointer fields with a length (or capacity) field become buffers of that many; the rest one object or a string."""
    integers = [f for f in fields if f.kind == "scalar" and not f.floating]
    for f in integers:
        if _CAPACITY_NAME.search(f.name):
            f.kind = "capacity"
        elif _LENGTH_NAME.search(f.name):
            f.kind = "length"
    counted = [f for f in fields if f.kind in ("length", "capacity")]
    buffers = [f for f in fields if f.kind == "buffer"]

    def owns(counter: Field, pointer: Field) -> bool:  # `items` / `n_items`, `data` / `data_len`
        return len(pointer.name) >= 3 and pointer.name.lower() in counter.name.lower()

    for pointer in buffers:
        chosen = [f for f in counted if owns(f, pointer)]
        if not chosen and (len(buffers) == 1 or "char" not in pointer.base.split()):  # else a char * is a string
            chosen = [f for f in counted if not any(owns(f, other) for other in buffers if other is not pointer)]
        if chosen:
            pointer.length = ",".join(f.name for f in chosen)
        elif "char" in pointer.base.split():
            pointer.kind = "string"
        else:
            pointer.kind = "object"
    for f in counted:  # a length of nothing is a plain integer
        if not any(f.name in p.length.split(",") for p in fields if p.kind == "buffer"):
            f.kind = "scalar"


# ---------------------------------------------------------------- ESBMC's harness


def esbmc_lines(var: str, path: str, shape: StructShape, *, nullable: bool, max_len: int) -> list[str]:
    """Statements filling the struct at lvalue `path` (already allocated) from nondet variables `var_*`."""
    lines: list[str] = []
    by_name = {f.name: f for f in shape.fields}
    for f in shape.fields:
        name, at = f"{var}_{f.name}", f"{path}.{f.name}"
        if f.kind in ("scalar", "length"):
            lines += [f"  {f.base} {name};", f"  {at} = {name};"]
            if f.kind == "length":
                low = "" if f.unsigned else f"{name} >= 0 && "
                lines.append(f"  __ESBMC_assume({low}{name} <= {max_len});")
        elif f.kind == "array":
            # The first max_len elements only (the rest stay 0): the fill loop must fit the unwinding bound.
            lines += [f"  for (unsigned long suture_i = 0; suture_i < sizeof({at}) / sizeof({at}[0]) && suture_i < {max_len}; "
                      "suture_i++) {",
                      f"    {f.base} {name}_item;", f"    {at}[suture_i] = {name}_item;", "  }"]
        elif f.kind == "struct":
            lines += esbmc_lines(name, at, f.shape, nullable=nullable, max_len=max_len)
    for f in shape.fields:
        name, at = f"{var}_{f.name}", f"{path}.{f.name}"
        # Filled through a pointer of our own (suture_*, left out of the trace's inputs): the field may
        # point to const.
        own = f"suture_{name}"
        if f.kind == "buffer":
            lines += [f"  unsigned {name}_len;", f"  __ESBMC_assume({name}_len <= {max_len});",
                      f"  {f.base} *{own} = malloc(sizeof({f.base}) * {name}_len);", f"  __ESBMC_assume({own} != 0);",
                      f"  for (unsigned suture_i = 0; suture_i < {name}_len; suture_i++) {{",
                      f"    {f.base} {name}_item;", f"    {own}[suture_i] = {name}_item;", "  }", f"  {at} = {own};"]
            for counter in f.length.split(","):
                if by_name[counter].kind == "capacity":
                    lines.append(f"  {path}.{counter} = {name}_len;")
                else:
                    lines.append(f"  __ESBMC_assume({var}_{counter} <= {name}_len);")
            if nullable:
                lines.append(f"  if ({name}_len == 0) {at} = 0;")
        elif f.kind == "string":
            lines += [f"  unsigned {name}_len;", f"  __ESBMC_assume({name}_len <= {max_len});",
                      f"  {f.base} *{own} = malloc({name}_len + 1);", f"  __ESBMC_assume({own} != 0);",
                      f"  for (unsigned suture_i = 0; suture_i < {name}_len; suture_i++) {{",
                      f"    {f.base} {name}_item;", f"    __ESBMC_assume({name}_item != 0);",
                      f"    {own}[suture_i] = {name}_item;", "  }", f"  {own}[{name}_len] = 0;", f"  {at} = {own};"]
        elif f.kind == "object":
            lines += [f"  {f.base} *{own} = malloc(sizeof({f.base}));", f"  __ESBMC_assume({own} != 0);",
                      f"  {f.base} {name}_item;", f"  *{own} = {name}_item;", f"  {at} = {own};"]
        elif f.kind == "struct_ptr":
            if f.shape is None:
                lines.append(f"  {at} = 0;")
                continue
            lines += [f"  {f.base} *{own} = calloc(1, sizeof({f.base}));", f"  __ESBMC_assume({own} != 0);"]
            lines += esbmc_lines(name, f"(*{own})", f.shape, nullable=nullable, max_len=max_len)
            lines.append(f"  {at} = {own};")
        else:
            continue
        if nullable and f.kind in ("string", "object", "struct_ptr"):
            lines += [f"  _Bool {name}_null;", f"  if ({name}_null) {at} = 0;"]
    return lines


# ---------------------------------------------------------------- concrete values: the trace, samples, the driver


def case_from_trace(var: str, shape: StructShape, numbers) -> dict[str, Any]:
    """The concrete struct ESBMC's trace describes; `numbers(name, floating)` reads one trace variable
    as a list of values ([] when the trace lacks it: the violation does not depend on it, so 0)."""
    value: dict[str, Any] = {}
    first = lambda name, floating=False: (numbers(name, floating) or [0])[0]  # noqa: E731
    null = lambda name: first(name) == 1  # noqa: E731
    for f in shape.fields:
        name = f"{var}_{f.name}"
        if f.kind in ("scalar", "length", "capacity"):
            value[f.name] = first(name, f.floating)
        elif f.kind == "array":
            value[f.name] = numbers(f"{name}_item", f.floating)
        elif f.kind == "struct":
            value[f.name] = case_from_trace(name, f.shape, numbers)
    for f in shape.fields:
        name = f"{var}_{f.name}"
        if f.kind in ("buffer", "string"):
            size = max(0, int(first(f"{name}_len")))
            items = numbers(f"{name}_item", f.floating)[:size]
            items = items + [0] * (size - len(items))
            if f.kind == "string":
                value[f.name] = None if null(f"{name}_null") else "".join(chr(int(c) % 256 or ord("a")) for c in items)
            else:
                value[f.name] = items
                for counter in f.length.split(","):
                    if next(g for g in shape.fields if g.name == counter).kind == "capacity":
                        value[counter] = size
        elif f.kind == "object":
            value[f.name] = None if null(f"{name}_null") else first(f"{name}_item", f.floating)
        elif f.kind == "struct_ptr":
            value[f.name] = None if f.shape is None or null(f"{name}_null") else case_from_trace(name, f.shape, numbers)
    return value


def sample_values(shape: StructShape, rng: random.Random, *, nullable: bool, count: int = 4) -> list[dict[str, Any]]:
    """A few concrete structs satisfying the harness's assumptions, the first with every buffer empty."""
    return [_sample(shape, rng, nullable=nullable, empty=k == 0) for k in range(count)]


def _sample(shape: StructShape, rng: random.Random, *, nullable: bool, empty: bool) -> dict[str, Any]:
    value: dict[str, Any] = {}
    counted: set[str] = set()
    for f in shape.fields:
        if f.kind in ("scalar", "length", "capacity"):
            value[f.name] = rng.choice([0.0, 1.5, -2.0]) if f.floating else \
                rng.choice([0, 1, 2, 3, 7] if f.unsigned else [0, 1, 2, 3, 7, -1])
        elif f.kind == "array":
            value[f.name] = []  # zero-filled; the driver sizes it
        elif f.kind == "struct":
            value[f.name] = _sample(f.shape, rng, nullable=nullable, empty=empty)
    for f in shape.fields:
        if f.kind == "buffer":
            size = 0 if empty else rng.randint(1, 3)
            value[f.name] = [abs(rng.randint(-9, 9)) if f.unsigned or "char" in f.base.split() else rng.randint(-9, 9)
                             for _ in range(size)]
            for counter in f.length.split(","):
                kind = next(g for g in shape.fields if g.name == counter).kind
                chosen = size if kind == "capacity" or empty else rng.randint(0, size)
                value[counter] = min(chosen, value[counter]) if counter in counted else chosen
                counted.add(counter)  # a count two buffers share fits both
        elif f.kind == "string":
            value[f.name] = None if nullable and rng.random() < 0.25 else ("" if empty else rng.choice(["a", "ab", "hey"]))
        elif f.kind == "object":
            value[f.name] = None if nullable and rng.random() < 0.25 else rng.randint(-3, 3)
        elif f.kind == "struct_ptr":
            value[f.name] = None if f.shape is None or empty or (nullable and rng.random() < 0.25) else \
                _sample(f.shape, rng, nullable=nullable, empty=False)
    return value


def driver_lines(path: str, shape: StructShape, value: dict[str, Any], literal) -> list[str]:
    """Statements filling the (zeroed) struct at lvalue `path` with the concrete `value`.

    Buffers get `suture_extra` padding elements of `suture_pad` past their end, as the driver's
    buffer parameters do; `literal(v, floating)` writes one C value."""
    lines: list[str] = []
    for f in shape.fields:
        at, v = f"{path}.{f.name}", value.get(f.name)
        if f.kind in ("scalar", "length", "capacity"):
            lines.append(f"  {at} = ({f.base}) {literal(v or 0, f.floating)};")
        elif f.kind == "array":
            for k, item in enumerate(v or []):
                lines.append(f"  if ({k} < sizeof({at}) / sizeof({at}[0])) {at}[{k}] = ({f.base}) {literal(item, f.floating)};")
        elif f.kind == "struct":
            lines += driver_lines(at, f.shape, v or {}, literal)
        elif f.kind in ("buffer", "string"):
            if v is None:
                lines.append(f"  {at} = 0;")
                continue
            items = [ord(c) for c in v] + [0] if f.kind == "string" else list(v)
            size = len(items)
            # Each pointer filled in a block of its own through a non-const pointer (the field may point to const).
            lines.append(f"  {{ {f.base} *suture_p = malloc(sizeof({f.base}) * ({size} + suture_extra));")
            for k, item in enumerate(items):
                lines.append(f"  suture_p[{k}] = ({f.base}) {literal(item, f.floating)};")
            lines += [f"  for (int i = {size}; i < {size} + suture_extra; i++) suture_p[i] = ({f.base}) suture_pad;",
                      f"  {at} = suture_p; }}"]
        elif f.kind == "object":
            if v is None:
                lines.append(f"  {at} = 0;")
                continue
            lines.append(f"  {{ {f.base} *suture_p = malloc(sizeof({f.base})); *suture_p = ({f.base}) "
                         f"{literal(v, f.floating)}; {at} = suture_p; }}")
        elif f.kind == "struct_ptr":
            if v is None or f.shape is None:
                lines.append(f"  {at} = 0;")
                continue
            lines += [f"  {{ {f.base} *suture_s = calloc(1, sizeof({f.base}));",
                      *driver_lines("(*suture_s)", f.shape, v, literal), f"  {at} = suture_s; }}"]
    return lines


def describe(shape: StructShape, max_len: int) -> str:
    """The harness's assumptions about one struct, in words."""
    parts = []
    for f in shape.fields:
        if f.kind == "buffer":
            kinds = {g.name: g.kind for g in shape.fields}
            said = [f"{c} <= that" if kinds[c] == "length" else f"{c} = that" for c in f.length.split(",")]
            parts.append(f"{f.name}: 0..{max_len} elements, {', '.join(said)}")
        elif f.kind == "string":
            parts.append(f"{f.name}: a string of 0..{max_len} chars")
        elif f.kind == "object":
            parts.append(f"{f.name}: one object")
        elif f.kind == "struct_ptr":
            parts.append(f"{f.name}: " + (f"one {f.base} ({describe(f.shape, max_len)})" if f.shape else "NULL"))
        elif f.kind == "struct":
            parts.append(f"{f.name}: {describe(f.shape, max_len)}")
        elif f.kind == "array":
            parts.append(f"{f.name}: first {max_len} elements nondeterministic")
    return "; ".join(parts) if parts else "any field values"
