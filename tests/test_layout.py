"""The layout DESIGN.md describes holds: who may import whom, and no import cycle at any level.

Every `import` counts, the ones inside functions too: a lazy import still makes two modules depend
on each other, it only hides the cycle from the interpreter until the first call.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("agent", "tools", "retrieval", "prompts")
# DESIGN.md's "may import" column: the rooms each room may import besides itself.
MAY_IMPORT = {"retrieval": set(), "prompts": set(), "tools": {"retrieval"}, "agent": {"tools", "retrieval", "prompts"}}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["suture", *parts])


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for room in ROOMS for p in (ROOT / room).rglob("*.py") if "__pycache__" not in p.parts}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The suture modules `name` imports, each resolved to the module file it names."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            # `from pkg import mod` names the module pkg.mod; `from mod import func` names mod.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != name and target.startswith("suture."):
                found.add(target)
    return found


@functools.lru_cache(maxsize=1)
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _room(module: str) -> str:
    return module.split(".")[1]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_is_read_from_the_real_tree():
    graph = _graph()
    assert len(graph) > 60
    # a known edge, so an empty or wrongly resolved graph cannot pass the checks below
    assert "suture.agent.gates.validate" in graph["suture.agent.fix.pipeline"]
    assert "suture.retrieval.model" in graph["suture.tools.testing.localize"]


def test_every_import_follows_the_may_import_column():
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if _room(target) != _room(module) and _room(target) not in MAY_IMPORT[_room(module)]
    ]
    assert wrong == []


def test_no_import_cycle_at_any_level():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("room", ROOMS)
def test_each_room_is_a_package(room):
    assert (ROOT / room / "__init__.py").is_file()
    for sub in (ROOT / room).iterdir():
        if sub.is_dir() and any(sub.glob("*.py")):
            assert (sub / "__init__.py").is_file(), f"{sub} holds modules but is not a package"
