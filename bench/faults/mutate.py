"""Single-point mutations of Python source, as text edits that keep the file's formatting.

Positions come from `ast` (statements, expressions, the enclosing function) and
`tokenize` (the exact operator tokens, which `ast` does not locate); the mutant is the
original text with one span replaced, never a re-printed file.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import io
import tokenize
from dataclasses import asdict, dataclass

# One swap per operator: the classic relational / logical / arithmetic operator
# replacements of mutation testing, each picked to give a plausible single-point bug.
COMPARISON_SWAPS = {
    "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==",
    "is": "is not", "is not": "is", "in": "not in", "not in": "in",
}
ARITHMETIC_SWAPS = {"+": "-", "-": "+", "*": "//", "/": "*", "//": "*", "%": "//", "**": "*", "<<": ">>", ">>": "<<"}
AUGMENTED_SWAPS = {"+=": "-=", "-=": "+=", "*=": "//=", "/=": "*=", "//=": "*="}
BOOLEAN_SWAPS = {"and": "or", "or": "and"}

OPERATORS = ("comparison", "boolean", "arithmetic", "constant", "condition", "return")


@dataclass(frozen=True)
class Mutation:
    """One edit: the text between (start_line, start_col) and (end_line, end_col) — 1-based lines,
    0-based character columns, end exclusive — is `original` and becomes `mutated`."""

    operator: str  # one of OPERATORS
    kind: str  # finer label, e.g. "<->=" or "negate-if"
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    original: str
    mutated: str
    symbol: str  # qualname of the innermost function containing the edit ("Outer.m", "f.inner")
    symbol_start: int  # first line of that function (its first decorator, as the symbol index counts)
    symbol_end: int
    statement_line: int  # first line of the innermost enclosing statement: where coverage records the edit

    def to_dict(self) -> dict:
        return asdict(self)


class _Source:
    """Line table of a file, converting ast's UTF-8 byte columns to character columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self.lines:
            self._starts.append(self._starts[-1] + len(line))

    def char_col(self, line: int, byte_col: int) -> int:
        return len(self.lines[line - 1].encode()[:byte_col].decode(errors="replace"))

    def offset(self, line: int, col: int) -> int:
        return self._starts[line - 1] + col

    def span(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        return self.text[self.offset(*start) : self.offset(*end)]

    def node_start(self, node: ast.AST) -> tuple[int, int]:
        return node.lineno, self.char_col(node.lineno, node.col_offset)

    def node_end(self, node: ast.AST) -> tuple[int, int]:
        return node.end_lineno, self.char_col(node.end_lineno, node.end_col_offset)


def _operator_tokens(text: str) -> list[tokenize.TokenInfo]:
    keep = (tokenize.OP, tokenize.NAME)
    return [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type in keep]


class _Collector(ast.NodeVisitor):
    def __init__(self, source: _Source) -> None:
        self.src = source
        self.tokens = _operator_tokens(source.text)
        self.token_starts = [t.start for t in self.tokens]
        self.found: list[Mutation] = []
        self.scope: list[str] = []  # enclosing class / function names
        self.function: tuple[str, int, int] | None = None  # innermost function: (qualname, start, end)
        self.statement_line = 0

    # -- scopes ---------------------------------------------------------------
    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        outer = (self.function, self.statement_line)
        self.scope.append(node.name)
        self.function = (".".join(self.scope), start, node.end_lineno)
        # Defaults, annotations and decorators run at definition time, not in the function: only the body.
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()
        self.function, self.statement_line = outer

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return  # a lambda's body has no statement line of its own to attribute coverage to

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # f-string internals tokenize differently across Python versions

    def visit(self, node: ast.AST) -> None:
        if not isinstance(node, ast.stmt):
            return super().visit(node)
        outer = self.statement_line
        self.statement_line = node.lineno
        super().visit(node)
        self.statement_line = outer

    # -- helpers --------------------------------------------------------------
    def _add(self, operator: str, kind: str, start, end, mutated: str) -> None:
        if self.function is None or start is None:
            return
        original = self.src.span(start, end)
        if original == mutated:
            return
        name, first, last = self.function
        self.found.append(
            Mutation(operator, kind, start[0], start[1], end[0], end[1], original, mutated,
                     name, first, last, self.statement_line)
        )

    def _tokens_between(self, start: tuple[int, int], end: tuple[int, int]) -> list[tokenize.TokenInfo]:
        first = bisect.bisect_left(self.token_starts, start)
        last = bisect.bisect_left(self.token_starts, end)
        return [t for t in self.tokens[first:last] if t.end <= end]

    def _swap_tokens(self, operator: str, a: ast.AST, b: ast.AST, swaps: dict[str, str]) -> None:
        """Replace the operator token(s) between expressions `a` and `b` (parentheses may sit around them)."""
        between = [t for t in self._tokens_between(self.src.node_end(a), self.src.node_start(b))
                   if t.string not in "()"]
        if not between:
            return
        text = " ".join(t.string for t in between)
        if text in swaps:
            self._add(operator, f"{text}->{swaps[text]}", between[0].start, between[-1].end, swaps[text])

    # -- operators ------------------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> None:
        left = node.left
        for right in node.comparators:
            self._swap_tokens("comparison", left, right, COMPARISON_SWAPS)
            left = right
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for a, b in zip(node.values, node.values[1:]):
            self._swap_tokens("boolean", a, b, BOOLEAN_SWAPS)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._swap_tokens("arithmetic", node.left, node.right, ARITHMETIC_SWAPS)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._swap_tokens("arithmetic", node.target, node.value, AUGMENTED_SWAPS)
        self.visit(node.value)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        # Dropping `not` or a unary minus: the operand's text replaces the whole expression.
        if isinstance(node.op, (ast.Not, ast.USub)):
            operand = self.src.span(self.src.node_start(node.operand), self.src.node_end(node.operand))
            if "\n" not in operand:
                kind = "drop-not" if isinstance(node.op, ast.Not) else "drop-minus"
                operator = "boolean" if isinstance(node.op, ast.Not) else "arithmetic"
                self._add(operator, kind, self.src.node_start(node), self.src.node_end(node), operand)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        start, end = self.src.node_start(node), self.src.node_end(node)
        value = node.value
        if isinstance(value, bool):
            self._add("constant", "flip-bool", start, end, str(not value))
        elif isinstance(value, int) and self.src.span(start, end).isdigit():
            self._add("constant", "plus-one", start, end, str(value + 1))
            self._add("constant", "minus-one", start, end, str(value - 1))

    def _condition(self, test: ast.expr, where: str) -> None:
        start, end = self.src.node_start(test), self.src.node_end(test)
        text = self.src.span(start, end)
        if "\n" in text:
            return  # a wrapped multi-line condition would need re-indenting
        self._add("condition", f"negate-{where}", start, end, f"not ({text})")
        if isinstance(test, ast.BoolOp):
            # Dropping one operand of `a and b` / `a or b`: the "missing/extra condition" bug class.
            for kept in range(len(test.values)):
                values = [v for i, v in enumerate(test.values) if i != kept]
                if len(values) == 1:
                    v = values[0]
                    self._add("condition", f"drop-operand-{where}", start, end,
                              self.src.span(self.src.node_start(v), self.src.node_end(v)))

    def visit_If(self, node: ast.If) -> None:
        self._condition(node.test, "if")
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self._condition(node.test, "while")
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._condition(node.test, "ifexp")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            self._add("return", "return-none", self.src.node_start(value), self.src.node_end(value), "None")
        self.generic_visit(node)


def mutations(source: str) -> list[Mutation]:
    """Every single-point mutation inside the functions of `source`, in file order."""
    tree = ast.parse(source)
    collector = _Collector(_Source(source))
    collector.visit(tree)
    return sorted(collector.found, key=lambda m: (m.start_line, m.start_col, m.kind, m.mutated))


def apply(source: str, m: Mutation | dict) -> str:
    """`source` with the mutation applied; refuses when the text at the span is not the recorded original."""
    m = m if isinstance(m, dict) else m.to_dict()
    src = _Source(source)
    a, b = src.offset(m["start_line"], m["start_col"]), src.offset(m["end_line"], m["end_col"])
    if source[a:b] != m["original"]:
        raise ValueError(f"mutation does not match the source at line {m['start_line']}: "
                         f"expected {m['original']!r}, found {source[a:b]!r}")
    return source[:a] + m["mutated"] + source[b:]


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        f"a/{path}", f"b/{path}", n=1))
