"""The package's layers: the deferred tasks know nothing of webhooks, and no two modules import each other.

The import graph is read from the source with ``ast``, function-level imports included: an import inside a
function is still a dependency, only a later one. Imports under ``if TYPE_CHECKING:`` are for type hints
only and never run, so they are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "jomres_like"
PACKAGE = "jomres_like"


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _target(modules: dict[str, Path], base: str, name: str | None) -> str | None:
    """The module that ``from base import name`` (or ``import base``) reads: the submodule if there is one."""
    if name and f"{base}.{name}" in modules:
        return f"{base}.{name}"
    return base if base in modules else None


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def import_graph() -> dict[str, set[str]]:
    """``module -> the modules of the package it imports`` (anywhere in its source)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        edges: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(PACKAGE):
                        edges.add(_target(modules, alias.name, None) or alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                elif node.module and node.module.startswith(PACKAGE):
                    base = node.module
                else:
                    continue
                for alias in node.names:
                    target = _target(modules, base, alias.name)
                    if target is not None:
                        edges.add(target)
        edges.discard(module)
        graph[module] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as the list of its modules, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if state.get(other) == 1:
                return stack[stack.index(other):] + [other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_function_level_and_relative_imports(graph):
    assert "jomres_like.deferred.registry" in graph["jomres_like.deferred.runner"]
    assert "jomres_like.deferred.sweeper" in graph["jomres_like.deferred"]  # imported inside init_app


def test_the_deferred_tasks_import_nothing_from_the_webhooks(graph):
    upward = {
        module: sorted(target for target in targets if target.startswith(f"{PACKAGE}.webhooks"))
        for module, targets in graph.items()
        if module.startswith(f"{PACKAGE}.deferred")
    }
    assert {module: targets for module, targets in upward.items() if targets} == {}


def test_no_two_modules_import_each_other(graph):
    assert _cycle(graph) is None
