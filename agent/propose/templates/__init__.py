"""Repair templates for Python: small, plausible edits to suspicious code.

The templates come from the program-repair literature: the operator mutations of
PraPR and GenProg (relational, logical and arithmetic operators, constants), TBar's
fix patterns (off-by-one, mutated condition, wrong variable, wrong method call,
missing null check, missing return, statement order), GenProg's statement
delete / insert-from-elsewhere, and a returned value read off a namesake function
(analogy.py: `values` returns what `keys` does, keys -> values). Each template looks at the `ast` of one scope (a
function, a class, or the module) and yields `Mutation`s: replacements of exact
character spans of the original text, so formatting and comments elsewhere stay
byte-for-byte as they were. No file is ever re-printed from its tree.

`ast` columns are UTF-8 byte offsets; `SourceFile.offset` turns them into string
offsets, so a multi-byte character earlier on a line does not shift an edit.
Operators have no position in `ast`: they are found by scanning the text between
the two operands, which holds only the operator, brackets, spaces and comments.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from suture.agent.propose.templates.analogy import return_analogy
from suture.agent.propose.templates.operators import (
    arithmetic,
    boolean,
    comparison,
    constant,
    drop_condition,
    negate_condition,
    off_by_one,
)
from suture.agent.propose.templates.source import (  # the package's public names
    DELETES_CODE,
    REMOVES_CHECK,
    WEAKENS_CONDITION,
    Mutation,
    SourceFile,
    Span,
    scope_nodes,
)
from suture.agent.propose.templates.statements import delete_statement, insert_statement, move_statement, similar_call
from suture.agent.propose.templates.values import (
    class_fields,
    guard,
    missing_return,
    replace_variable,
    return_value,
    swap_args,
)

__all__ = [
    "DELETES_CODE", "REMOVES_CHECK", "WEAKENS_CONDITION", "TEMPLATES", "Mutation", "SourceFile",
    "Span", "Template", "class_fields", "mutations", "scope_nodes",
]

Template = Callable[[SourceFile, list[ast.AST]], Iterator[Mutation]]

TEMPLATES: dict[str, Template] = {
    "comparison": comparison,
    "off_by_one": off_by_one,
    "arithmetic": arithmetic,
    "boolean": boolean,
    "negate_condition": negate_condition,
    "constant": constant,
    "return_value": return_value,
    "missing_return": missing_return,
    "return_analogy": return_analogy,
    "swap_args": swap_args,
    "replace_variable": replace_variable,
    "similar_call": similar_call,
    "guard": guard,
    "drop_condition": drop_condition,
    "move_statement": move_statement,
    "delete_statement": delete_statement,
    "insert_statement": insert_statement,
}


def mutations(src: SourceFile, scope: ast.AST, templates: dict[str, Template] | None = None) -> Iterator[Mutation]:
    """Every mutation of every template inside `scope` (a function, class or module node of `src`)."""
    nodes = scope_nodes(src, scope)
    for template in (templates or TEMPLATES).values():
        yield from template(src, nodes)
