"""Turn one source file into symbols and references with tree-sitter.

Speed decides the design: one tree-sitter query per language finds every
definition and every reference in C; Python only looks closer at the
definition nodes (a few per hundred lines) to read names, signatures and
docstrings. Scopes of references come from a bisect over the definitions'
byte ranges rather than from walking parents.

`parse_tuples` returns compact tuples (cheap to pickle between processes and to
marshal into the cache); `parse_source` wraps them in the model's dataclasses.
"""

from __future__ import annotations

import inspect
import re
from bisect import bisect_right
from functools import cache
from operator import itemgetter

from tree_sitter import Node, Query, QueryCursor

from .languages import get_language, get_parser
from .model import ATTRIBUTE, CALL, CLASS, FUNCTION, IMPORT, METHOD, Reference, Symbol

# (name, qualname, kind, start_line, end_line, signature, docstring, parent, parent_class)
SymbolTuple = tuple[str, str, str, int, int, str, str, "str | None", "str | None"]
# (name, kind, line, scope, module)
ReferenceTuple = tuple[str, str, int, str, str]

MAX_DOCSTRING = 300
MAX_SIGNATURE = 300

# Capture names: @class / @function / @method define symbols (the final kind
# of a function depends on what encloses it); @container is a scope that names
# its members but is no symbol itself (a Rust impl block); @call / @attr are
# the referenced identifiers; @import is a whole import statement.
_QUERIES: dict[str, str] = {
    "python": """
        (class_definition) @class
        (function_definition) @function
        (call function: [(identifier) @call (attribute attribute: (identifier) @call)])
        (attribute attribute: (identifier) @attr)
        [(import_statement) (import_from_statement) (future_import_statement)] @import
    """,
    "javascript": """
        [(class_declaration) (class)] @class
        [(function_declaration) (generator_function_declaration)] @function
        (variable_declarator value: [(arrow_function) (function_expression)]) @function
        (method_definition) @method
        (field_definition value: [(arrow_function) (function_expression)]) @method
        (call_expression function: [(identifier) @call (member_expression property: (property_identifier) @call)])
        (new_expression constructor: (identifier) @call)
    """,
    "typescript": """
        [(class_declaration) (abstract_class_declaration) (interface_declaration) (enum_declaration)] @class
        [(function_declaration) (generator_function_declaration) (function_signature)] @function
        (variable_declarator value: [(arrow_function) (function_expression)]) @function
        [(method_definition) (method_signature) (abstract_method_signature)] @method
        (public_field_definition value: [(arrow_function) (function_expression)]) @method
        (call_expression function: [(identifier) @call (member_expression property: (property_identifier) @call)])
        (new_expression constructor: (identifier) @call)
    """,
    "go": """
        (type_spec type: [(struct_type) (interface_type)]) @class
        (function_declaration) @function
        (method_declaration) @method
        (call_expression function: [(identifier) @call (selector_expression field: (field_identifier) @call)])
    """,
    "java": """
        [(class_declaration) (interface_declaration) (enum_declaration) (record_declaration)
         (annotation_type_declaration)] @class
        [(method_declaration) (constructor_declaration)] @method
        (method_invocation name: (identifier) @call)
        (object_creation_expression type: (type_identifier) @call)
    """,
    "c": """
        [(struct_specifier name: (_) body: (_)) (union_specifier name: (_) body: (_))
         (enum_specifier name: (_) body: (_))] @class
        (type_definition type: [(struct_specifier !name body: (_)) (union_specifier !name body: (_))
                                (enum_specifier !name body: (_))]) @class
        (function_definition) @function
        (call_expression function: [(identifier) @call (field_expression field: (field_identifier) @call)])
    """,
    "rust": """
        [(struct_item) (enum_item) (union_item) (trait_item)] @class
        [(function_item) (function_signature_item)] @function
        (impl_item) @container
        (call_expression function: [(identifier) @call (field_expression field: (field_identifier) @call)
                                    (scoped_identifier name: (identifier) @call)])
    """,
}
_QUERIES["tsx"] = _QUERIES["typescript"]

# Nodes that wrap a definition without changing it: the symbol starts where the
# wrapper starts (decorators, `export`), and its doc comment sits above the wrapper.
_WRAPPERS = frozenset(
    {"decorated_definition", "export_statement", "lexical_declaration", "variable_declaration", "type_declaration"}
)
_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
_CLASS_LIKE = (CLASS, "container")


@cache
def _query(language: str) -> Query:
    return Query(get_language(language), _QUERIES[language])


@cache
def _error_query(language: str) -> Query:
    return Query(get_language(language), "(ERROR) @error (MISSING) @missing")


def prepare(language: str) -> None:
    """Load the grammar and compile the queries of `language` now rather than on first parse."""
    get_parser(language)
    _query(language)
    _error_query(language)


def _text(source: bytes, start: int, end: int) -> str:
    return source[start:end].decode("utf-8", "replace")


def _count_errors(language: str, root: Node) -> int:
    # has_error is a flag on the node: clean files (almost all) cost nothing.
    if not root.has_error:
        return 0
    captures = QueryCursor(_error_query(language)).captures(root)
    return sum(len(nodes) for nodes in captures.values())


def count_syntax_errors(language: str, source: bytes) -> int:
    """ERROR + MISSING nodes in tree-sitter's parse of `source` (0 for clean code).

    Standalone so an edit gate can compare before/after without building an index.
    """
    return _count_errors(language, get_parser(language).parse(source).root_node)


def line_count(source: bytes) -> int:
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def _collapse(text: str, limit: int = MAX_SIGNATURE) -> str:
    text = " ".join(text.split())
    if "( " in text or " )" in text or "[ " in text or " ]" in text:
        # A header written over several lines: "f( a, b, )" reads better as "f(a, b)".
        text = re.sub(r"([(\[]) |,? (?=[)\]])", r"\1", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _clean_doc(text: str) -> str:
    text = inspect.cleandoc(text[: MAX_DOCSTRING * 8]).strip()
    return text if len(text) <= MAX_DOCSTRING else text[: MAX_DOCSTRING - 3] + "..."


# ----------------------------------------------------------------- names


def _declarator_name(node: Node | None) -> Node | None:
    # C: `int *(*f)(int)` nests declarators; the name is the innermost identifier.
    while node is not None and node.type not in ("identifier", "field_identifier", "type_identifier"):
        inner = node.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in node.named_children if c.type.endswith("declarator") or c.type == "identifier"), None)
        node = inner
    return node


def _type_name(node: Node | None, source: bytes) -> str | None:
    """'Server' from Go `*Server` / `List[T]`, Rust `Vec<T>` / `&mut Foo`."""
    if node is None:
        return None
    text = _text(source, node.start_byte, node.end_byte)
    match = re.search(r"([A-Za-z_][\w]*)\s*(?:[<\[].*)?$", re.sub(r"^[\s(&*]*(?:mut\s+)?", "", text.split("<")[0].split("[")[0]))
    return match.group(1) if match else None


def _name_node(node: Node, language: str) -> Node | None:
    kind = node.type
    if language == "c":
        if kind == "function_definition":
            return _declarator_name(node.child_by_field_name("declarator"))
        if kind == "type_definition":
            return _declarator_name(node.child_by_field_name("declarator"))
    if kind == "field_definition":  # JS class field holding a function: `handle = () => {}`
        return node.child_by_field_name("property")
    return node.child_by_field_name("name")


def _go_receiver(node: Node, source: bytes) -> str | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for param in receiver.named_children:
        if param.type == "parameter_declaration":
            return _type_name(param.child_by_field_name("type"), source)
    return None


# ------------------------------------------------------- signature / docs


def _python_header(node: Node, body: Node | None, source: bytes) -> str:
    """The header up to the colon that opens the body: "async def f(a, b=1) -> int"."""
    if body is None:
        return _text(source, node.start_byte, node.end_byte)
    header = _text(source, node.start_byte, body.start_byte).rstrip()
    if header.endswith(":") and "#" not in header[header.rfind("\n") + 1 :]:
        return header[:-1]
    # Rare: maybe a comment between the colon and the body; find the colon node.
    colon = body.prev_sibling
    while colon is not None and colon.type != ":":
        colon = colon.prev_sibling
    return _text(source, node.start_byte, colon.start_byte) if colon is not None else header


def _brace_header_end(node: Node, source: bytes) -> int:
    body = node.child_by_field_name("body")
    if body is None:
        value = node.child_by_field_name("value")  # const f = () => {...}
        if value is not None:
            body = value.child_by_field_name("body")
    if body is not None:
        return body.start_byte
    brace = source.find(b"{", node.start_byte, node.end_byte)
    return brace if brace >= 0 else node.end_byte


def _python_docstring(body: Node | None, source: bytes) -> str:
    # Sibling steps rather than body.named_children: a class body can hold
    # hundreds of statements and only the first one matters.
    statement = body.named_child(0) if body is not None and body.named_child_count else None
    while statement is not None and statement.type == "comment":
        statement = statement.next_named_sibling
    if statement is None or statement.type != "expression_statement":
        return ""
    if statement.named_child_count != 1:
        return ""
    string = statement.named_child(0)
    if string.type != "string":
        return ""
    raw = _text(source, string.start_byte, string.end_byte)
    prefix = len(raw) - len(raw.lstrip("rRuUbBfF"))
    if "f" in raw[:prefix].lower():  # an f-string is an expression, not a docstring
        return ""
    raw = raw[prefix:]
    quote = 3 if raw[:3] in ('"""', "'''") else 1
    return _clean_doc(raw[quote:-quote] if len(raw) >= 2 * quote else raw)


_COMMENT_MARKERS = re.compile(r"^\s*(?:/\*\*?|\*/|\*(?!/)|///?!?|#)\s?", re.MULTILINE)


def _leading_comment(anchor: Node, source: bytes) -> str:
    """The comment block right above a definition (Go, Java, JS doc comments)."""
    lines: list[str] = []
    expected_row = anchor.start_point.row
    sibling = anchor.prev_named_sibling
    while sibling is not None:
        if sibling.type == "attribute_item":  # Rust #[derive]: the doc sits above it
            expected_row = sibling.start_point.row
        elif sibling.type in _COMMENTS and sibling.end_point.row >= expected_row - 1:
            lines.append(_text(source, sibling.start_byte, sibling.end_byte))
            expected_row = sibling.start_point.row
        else:
            break
        sibling = sibling.prev_named_sibling
    if not lines:
        return ""
    text = "\n".join(reversed(lines)).replace("*/", "")
    return _clean_doc(_COMMENT_MARKERS.sub("", text))


# ---------------------------------------------------------------- imports


def _python_imports(node: Node, source: bytes) -> list[tuple[str, str]]:
    """(bound name, module) pairs of one import statement."""
    pairs: list[tuple[str, str]] = []
    if node.type == "import_statement":
        for child in node.named_children:
            if child.type == "aliased_import":
                module = _text(source, child.child_by_field_name("name").start_byte, child.child_by_field_name("name").end_byte)
                alias = child.child_by_field_name("alias")
                pairs.append((_text(source, alias.start_byte, alias.end_byte), module))
            elif child.type == "dotted_name":
                module = _text(source, child.start_byte, child.end_byte)
                pairs.append((module.split(".")[0], module))
        return pairs
    module_node = node.child_by_field_name("module_name")
    module = "__future__" if module_node is None else _text(source, module_node.start_byte, module_node.end_byte)
    for child in node.named_children:
        if child is module_node or child.type == "comment":
            continue
        if child.type == "wildcard_import":
            pairs.append(("*", module))
        elif child.type == "aliased_import":
            alias = child.child_by_field_name("alias")
            pairs.append((_text(source, alias.start_byte, alias.end_byte), module))
        elif child.type in ("dotted_name", "identifier"):
            pairs.append((_text(source, child.start_byte, child.end_byte), module))
    return pairs


# ------------------------------------------------------------------ parse


def parse_tuples(language: str, source: bytes) -> tuple[list[SymbolTuple], list[ReferenceTuple], int, int]:
    """(symbols, references, syntax_errors, line_count) of `source` as compact tuples."""
    tree = get_parser(language).parse(source)
    root = tree.root_node
    captures = QueryCursor(_query(language)).captures(root)
    symbols, bounds, scopes = _symbols(language, source, captures)
    references = _references(source, captures, bounds, scopes)
    return symbols, references, _count_errors(language, root), line_count(source)


def _symbols(language: str, source: bytes, captures: dict) -> tuple[list[SymbolTuple], list[int], list[str]]:
    """The definitions as symbol rows, and the scope segmentation references are placed in:
    bounds[i] starts a stretch of the file whose innermost symbol is scopes[i]."""
    # Definitions in document order; the stack holds (end_byte, qualname, kind).
    definitions: list[tuple[int, str, Node]] = []
    for tag in ("class", "function", "method", "container"):
        for node in captures.get(tag, ()):
            definitions.append((node.start_byte, tag, node))
    definitions.sort(key=itemgetter(0))

    symbols: list[SymbolTuple] = []
    stack: list[tuple[int, str, str]] = []
    bounds: list[int] = [0]
    scopes: list[str] = [""]

    def close_until(position: int) -> None:
        while stack and stack[-1][0] <= position:
            end, _, _ = stack.pop()
            bounds.append(end)
            scopes.append(stack[-1][1] if stack else "")

    for start, tag, node in definitions:
        close_until(start)
        if tag == "container":
            name = _type_name(node.child_by_field_name("type"), source)
            if name:
                stack.append((node.end_byte, name, "container"))
                bounds.append(start)
                scopes.append(name)
            continue
        name_node = _name_node(node, language)
        if name_node is None:
            continue
        name = _text(source, name_node.start_byte, name_node.end_byte)
        parent = stack[-1] if stack else None
        kind, parent_class = _kind(tag, parent, node, language, source)
        if parent_class is not None and parent is None:  # Go: method outside its type
            qualname = f"{parent_class}.{name}"
        else:
            qualname = f"{parent[1]}.{name}" if parent else name
        anchor = node
        while anchor.parent is not None and anchor.parent.type in _WRAPPERS:
            anchor = anchor.parent
        signature, docstring = _header(node, anchor, name, language, source)
        symbols.append(
            (
                name,
                qualname,
                kind,
                anchor.start_point.row + 1,
                node.end_point.row + 1,
                signature,
                docstring,
                parent[1] if parent else None,
                parent_class,
            )
        )
        stack.append((node.end_byte, qualname, kind))
        bounds.append(start)
        scopes.append(qualname)
    close_until(len(source) + 1)
    return symbols, bounds, scopes


def _kind(tag: str, parent: tuple[int, str, str] | None, node: Node, language: str, source: bytes) -> tuple[str, str | None]:
    """(kind, the class it belongs to) of one definition."""
    if tag == "class":
        return CLASS, None
    if parent is not None and parent[2] in _CLASS_LIKE:
        return METHOD, parent[1]
    if language == "go" and tag == "method":
        receiver = _go_receiver(node, source)
        return (METHOD, receiver) if receiver else (FUNCTION, None)
    return FUNCTION, None


def _header(node: Node, anchor: Node, name: str, language: str, source: bytes) -> tuple[str, str]:
    """(signature, docstring or leading comment) of one definition."""
    if language == "python":
        body = node.child_by_field_name("body")
        return _collapse(_python_header(node, body, source)), _python_docstring(body, source)
    # Go: "type S struct" reads better than the bare type_spec "S struct".
    header_start = anchor.start_byte if anchor.type == "type_declaration" else node.start_byte
    signature = _collapse(_text(source, header_start, _brace_header_end(node, source)).rstrip("{; \n"))
    if name not in signature:  # C `typedef struct {...} T`: the name follows the body
        signature = f"{signature} {name}"
    return signature, _leading_comment(anchor, source)


def _references(source: bytes, captures: dict, bounds: list[int], scopes: list[str]) -> list[ReferenceTuple]:
    """Calls, attribute reads and imports, each with the innermost symbol holding it, by line."""
    references: list[ReferenceTuple] = []
    names: dict[bytes, str] = {}  # decode each distinct identifier once

    def add(nodes, kind: str, skip: set[int] | None = None) -> None:
        # The hot loop (hundreds of references per file): slicing `source`
        # is about twice as fast as Node.text, and a single scope needs no bisect.
        append = references.append
        single_scope = len(bounds) == 1
        for node in nodes:
            start = node.start_byte
            if skip is not None and start in skip:
                continue
            raw = source[start : node.end_byte]
            name = names.get(raw)
            if name is None:
                name = names[raw] = raw.decode("utf-8", "replace")
            scope = "" if single_scope else scopes[bisect_right(bounds, start) - 1]
            append((name, kind, node.start_point.row + 1, scope, ""))

    calls = captures.get("call", ())
    add(calls, CALL)
    attributes = captures.get("attr")
    if attributes:
        add(attributes, ATTRIBUTE, {node.start_byte for node in calls})
    for node in captures.get("import", ()):
        scope = scopes[bisect_right(bounds, node.start_byte) - 1]
        line = node.start_point.row + 1
        for name, module in _python_imports(node, source):
            references.append((name, IMPORT, line, scope, module))
    references.sort(key=itemgetter(2))  # by line
    return references


def parse_source(path: str, language: str, source: bytes) -> tuple[list[Symbol], list[Reference], int, int]:
    """(symbols, references, syntax_errors, line_count) of one file, as model records."""
    symbol_rows, reference_rows, errors, lines = parse_tuples(language, source)
    symbols = [symbol_from_tuple(path, language, row) for row in symbol_rows]
    references = [reference_from_tuple(path, row) for row in reference_rows]
    return symbols, references, errors, lines


def symbol_from_tuple(path: str, language: str, row: SymbolTuple) -> Symbol:
    name, qualname, kind, start, end, signature, docstring, parent, parent_class = row
    return Symbol(path, name, qualname, kind, language, start, end, signature, docstring, parent, parent_class)


def reference_from_tuple(path: str, row: ReferenceTuple) -> Reference:
    name, kind, line, scope, module = row
    return Reference(path, name, kind, line, scope, module)
