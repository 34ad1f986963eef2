"""tree-sitter parsing: symbols, signatures, docstrings and references per language."""

from __future__ import annotations

import textwrap

import pytest

from suture.retrieval.languages import get_language, has_no_grammar, language_for_path
from suture.retrieval.model import ATTRIBUTE, CALL, CLASS, FUNCTION, IMPORT, METHOD
from suture.retrieval.parse import count_syntax_errors, parse_source


def parse(language: str, text: str, path: str = "f"):
    return parse_source(path, language, textwrap.dedent(text).encode())


def by_qualname(symbols):
    return {s.qualname: s for s in symbols}


PYTHON = '''\
import os.path, numpy as np
from . import a as b, c
from ..m import *
"""module doc"""

@dec
@dec2(x)
class A(Base, metaclass=M):
    """Doc of A.

       More text.
    """
    attr = foo.bar

    async def f(self, a,
                b=1) -> int:  # trailing comment
        # a comment before the docstring
        r"""Raw doc."""
        self.g(a).h
        def inner():
            class Deep:
                def m(self):
                    pass
            return len(a)
        return inner

    class B:
        @property
        def p(self):
            return 1

def top():
    import json
    return json.dumps(1)
'''


def test_python_symbols_kinds_qualnames_and_lines():
    symbols, _, errors, lines = parse("python", PYTHON, "pkg/a.py")
    assert errors == 0
    assert lines == len(PYTHON.splitlines())
    got = {(s.qualname, s.kind, s.parent, s.parent_class) for s in symbols}
    assert got == {
        ("A", CLASS, None, None),
        ("A.f", METHOD, "A", "A"),
        ("A.f.inner", FUNCTION, "A.f", None),
        ("A.f.inner.Deep", CLASS, "A.f.inner", None),
        ("A.f.inner.Deep.m", METHOD, "A.f.inner.Deep", "A.f.inner.Deep"),
        ("A.B", CLASS, "A", None),
        ("A.B.p", METHOD, "A.B", "A.B"),
        ("top", FUNCTION, None, None),
    }
    table = by_qualname(symbols)
    assert table["A"].start_line == 6  # first decorator line
    assert table["A"].end_line == 30
    assert table["A.B.p"].start_line == 28  # @property
    assert table["A.f"].start_line == 15 and table["A.f"].end_line == 25
    assert all(s.path == "pkg/a.py" and s.language == "python" for s in symbols)


def test_python_signatures_and_docstrings():
    table = by_qualname(parse("python", PYTHON)[0])
    assert table["A"].signature == "class A(Base, metaclass=M)"
    assert table["A.f"].signature == "async def f(self, a, b=1) -> int"
    assert table["A.f.inner"].signature == "def inner()"
    assert table["A"].docstring == "Doc of A.\n\nMore text."
    assert table["A.f"].docstring == "Raw doc."
    assert table["top"].docstring == ""


def test_python_header_with_comments_and_hashes():
    symbols = parse(
        "python",
        """\
        def f(a="#:"):  # note
            pass
        def g(a,
              b):  # ends with a colon:
            \"\"\"Doc.\"\"\"
        """,
    )[0]
    assert [(s.signature, s.docstring) for s in symbols] == [('def f(a="#:")', ""), ("def g(a, b)", "Doc.")]


def test_multiline_header_is_collapsed():
    (symbol,) = parse("python", "def f(\n    a,\n    b: list[\n        int\n    ],\n) -> None:\n    pass\n")[0]
    assert symbol.signature == "def f(a, b: list[int]) -> None"


def test_python_long_docstring_is_capped():
    text = 'def f():\n    """' + "word " * 500 + '"""\n'
    (symbol,) = parse("python", text)[0]
    assert 0 < len(symbol.docstring) <= 300
    assert symbol.docstring.startswith("word word")


def test_python_references_with_scope():
    _, refs, _, _ = parse("python", PYTHON)
    got = {(r.name, r.kind, r.line, r.scope, r.module) for r in refs}
    assert ("os", IMPORT, 1, "", "os.path") in got
    assert ("np", IMPORT, 1, "", "numpy") in got
    assert ("b", IMPORT, 2, "", ".") in got and ("c", IMPORT, 2, "", ".") in got
    assert ("*", IMPORT, 3, "", "..m") in got
    assert ("dec2", CALL, 7, "", "") in got  # a decorator runs in the enclosing scope
    assert ("bar", ATTRIBUTE, 13, "A", "") in got
    assert ("g", CALL, 19, "A.f", "") in got
    assert ("h", ATTRIBUTE, 19, "A.f", "") in got
    assert ("len", CALL, 24, "A.f.inner", "") in got
    assert ("json", IMPORT, 33, "top", "json") in got
    assert ("dumps", CALL, 34, "top", "") in got
    # a called attribute is a call, not also an attribute use
    assert ("g", ATTRIBUTE, 19, "A.f", "") not in got
    assert ("dumps", ATTRIBUTE, 34, "top", "") not in got


def test_python_syntax_errors_are_counted_and_symbols_survive():
    symbols, _, errors, _ = parse(
        "python",
        """\
        def good(a):
            return a

        def broken():
            x = = 1

        class After:
            def m(self):
                pass
        """,
    )
    assert errors > 0
    names = {s.qualname for s in symbols}
    assert "good" in names
    assert "After.m" in names
    # a header with no body at all (end of file) recovers to an empty body
    (truncated,) = parse_source("t.py", "python", b"def truncated():\n")[0]
    assert truncated.signature == "def truncated()" and truncated.docstring == ""
    assert count_syntax_errors("python", b"def f(:\n") > 0
    assert count_syntax_errors("python", b"def f():\n    return 1\n") == 0


def test_undecodable_bytes_do_not_crash():
    source = b'def f\xff\xfe():\n    """doc \xff"""\n    g\xfe()\n'
    symbols, refs, _, _ = parse_source("bad.py", "python", source)
    assert symbols and "\ufffd" in symbols[0].docstring
    assert isinstance(symbols[0].name, str)


def test_empty_file():
    assert parse_source("e.py", "python", b"") == ([], [], 0, 0)


def kinds(symbols):
    return {s.qualname: (s.kind, s.parent_class) for s in symbols}


def test_javascript_symbols_and_calls():
    symbols, refs, errors, _ = parse(
        "javascript",
        """\
        // A builds things.
        class A extends B {
          m() { new Foo(); this.run(); }
          static s() {}
          handler = (event) => this.m();
        }
        function top() { helper(); }
        function* gen() {}
        const arrow = (x) => x + 1;
        const expr = function () {};
        """,
    )
    assert errors == 0
    assert kinds(symbols) == {
        "A": (CLASS, None),
        "A.m": (METHOD, "A"),
        "A.s": (METHOD, "A"),
        "A.handler": (METHOD, "A"),
        "top": (FUNCTION, None),
        "gen": (FUNCTION, None),
        "arrow": (FUNCTION, None),
        "expr": (FUNCTION, None),
    }
    table = by_qualname(symbols)
    assert table["A"].docstring == "A builds things."
    assert table["A"].signature == "class A extends B"
    calls = {(r.name, r.scope) for r in refs if r.kind == CALL}
    assert {("Foo", "A.m"), ("run", "A.m"), ("helper", "top")} <= calls


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_typescript_symbols(language):
    symbols, refs, errors, _ = parse(
        language,
        """\
        /** The A class. */
        export class A<T> extends B {
          m(): void { this.n(); }
          private onClick = (e: Event): void => {};
        }
        export abstract class Z { abstract n(): void; }
        interface I { q(): void }
        enum E { X }
        export function f(a: number): string { return g(); }
        const h = async (x: number) => { o.p(); };
        """,
    )
    assert errors == 0
    assert kinds(symbols) == {
        "A": (CLASS, None),
        "A.m": (METHOD, "A"),
        "A.onClick": (METHOD, "A"),
        "Z": (CLASS, None),
        "Z.n": (METHOD, "Z"),
        "I": (CLASS, None),
        "I.q": (METHOD, "I"),
        "E": (CLASS, None),
        "f": (FUNCTION, None),
        "h": (FUNCTION, None),
    }
    table = by_qualname(symbols)
    assert table["A"].docstring == "The A class."
    assert table["A"].start_line == 2
    assert table["f"].signature == "function f(a: number): string"
    assert {("n", "A.m"), ("g", "f"), ("p", "h")} <= {(r.name, r.scope) for r in refs}


def test_go_symbols_receivers_and_calls():
    symbols, refs, _, _ = parse(
        "go",
        """\
        package p

        // Server serves.
        type Server struct{ a int }
        type Doer interface{ Do() }

        func (s *Server) Start(x int) error { return run(x) + s.stop() }
        func (l List[T]) Len() int { return 0 }
        func Free() {}
        """,
    )
    assert kinds(symbols) == {
        "Server": (CLASS, None),
        "Doer": (CLASS, None),
        "Server.Start": (METHOD, "Server"),
        "List.Len": (METHOD, "List"),
        "Free": (FUNCTION, None),
    }
    table = by_qualname(symbols)
    assert table["Server"].docstring == "Server serves."
    assert table["Server"].signature == "type Server struct"
    assert table["Server.Start"].signature == "func (s *Server) Start(x int) error"
    assert {("run", "Server.Start"), ("stop", "Server.Start")} <= {(r.name, r.scope) for r in refs}


def test_java_symbols():
    symbols, refs, _, _ = parse(
        "java",
        """\
        /** Doc of C. */
        @Annotated
        public class C extends B {
            C() {}
            void m() { x.y(); new D(); }
            interface I { void q(); }
            enum E { A }
            record R(int a) {}
        }
        """,
    )
    assert kinds(symbols) == {
        "C": (CLASS, None),
        "C.C": (METHOD, "C"),
        "C.m": (METHOD, "C"),
        "C.I": (CLASS, None),
        "C.I.q": (METHOD, "C.I"),
        "C.E": (CLASS, None),
        "C.R": (CLASS, None),
    }
    table = by_qualname(symbols)
    assert table["C"].docstring == "Doc of C."
    assert table["C"].start_line == 2
    assert {("y", "C.m"), ("D", "C.m")} <= {(r.name, r.scope) for r in refs}


def test_c_symbols():
    symbols, refs, _, _ = parse(
        "c",
        """\
        /* A point. */
        struct Point { int x; };
        static int *make(int a) { return alloc(a) + p->len(1); }
        typedef struct { int y; } Alias;
        enum Color { RED };
        int declared_only(int);
        """,
    )
    assert kinds(symbols) == {
        "Point": (CLASS, None),
        "make": (FUNCTION, None),
        "Alias": (CLASS, None),
        "Color": (CLASS, None),
    }
    table = by_qualname(symbols)
    assert table["Point"].docstring == "A point."
    assert table["make"].signature == "static int *make(int a)"
    assert {("alloc", "make"), ("len", "make")} <= {(r.name, r.scope) for r in refs}


def test_rust_symbols_impl_methods():
    symbols, refs, _, _ = parse(
        "rust",
        """\
        /// A thing.
        #[derive(Debug)]
        struct Thing { a: i32 }
        impl<T> Show for Thing<T> {
            fn show(&self) { helper(); self.draw(); fmt::write(); }
        }
        trait Show { fn show(&self); fn default_impl() {} }
        enum Kind { A }
        fn top() { fn inner() {} }
        """,
    )
    assert kinds(symbols) == {
        "Thing": (CLASS, None),
        "Thing.show": (METHOD, "Thing"),
        "Show": (CLASS, None),
        "Show.show": (METHOD, "Show"),
        "Show.default_impl": (METHOD, "Show"),
        "Kind": (CLASS, None),
        "top": (FUNCTION, None),
        "top.inner": (FUNCTION, None),
    }
    assert by_qualname(symbols)["Thing"].docstring == "A thing."
    assert {("helper", "Thing.show"), ("draw", "Thing.show"), ("write", "Thing.show")} <= {
        (r.name, r.scope) for r in refs
    }


def test_language_for_path():
    assert language_for_path("a/b.py") == "python"
    assert language_for_path("x.TSX") == "tsx"
    assert language_for_path("x.ts") == "typescript"
    assert language_for_path("x.h") == "c"
    assert language_for_path("README.md") is None
    assert language_for_path("Makefile") is None
    assert has_no_grammar("lib/x.rb") and has_no_grammar("a.cpp")
    assert not has_no_grammar("README.md") and not has_no_grammar("x.py")
    for name in ("python", "javascript", "typescript", "tsx", "go", "java", "c", "rust"):
        assert get_language(name) is get_language(name)  # loaded once
