"""The package's layering (docs/ARCHITECTURE.md), enforced on every import in resolver/.

Every ``import`` and ``from ... import`` counts: at module level, inside functions (lazy
imports are still dependencies) and under ``TYPE_CHECKING`` (a type-only import still couples
the layers). The layers, bottom up:

* foundation: ``resolver.errors``, ``resolver.semver``, ``resolver.util``;
* ``resolver.chart`` (reading and writing charts) and ``resolver.registry`` (the OCI client):
  peers that know nothing of each other;
* ``resolver.resolution`` (which versions, which digests);
* ``resolver.linter`` (rules, findings, reporters): it reads charts but does no network I/O;
* ``resolver.commands`` (one core per command), then ``resolver.cli`` and the library
  (``resolver.api``, ``resolver/__init__``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "resolver"

# The package root holds what must exist before anything else is imported: the version and the
# Ctrl-C guard installed at ``import resolver`` (see resolver/__init__.py).
ROOT_NAMES = ("resolver.__version__", "resolver._leave_now", "resolver._guard_start")
FOUNDATION = ("resolver.errors", "resolver.semver", "resolver.util", *ROOT_NAMES)

# layer -> the layers (module prefixes) it may import, besides itself and the foundation.
ALLOWED: dict[str, tuple[str, ...]] = {
    "resolver.util": (),
    "resolver.errors": (),
    "resolver.semver": (),
    "resolver.chart": (),
    "resolver.registry": (),
    "resolver.resolution": ("resolver.chart", "resolver.registry"),
    # Lint rules parse image and chart references (pure: resolver.registry.reference) and read
    # charts; they never talk to a registry.
    "resolver.linter": ("resolver.chart", "resolver.registry.reference"),
    "resolver.commands": (
        "resolver.chart",
        "resolver.registry",
        "resolver.resolution",
        "resolver.linter",
    ),
    # issue 13: `chartlock fix` plans from lint findings and looks digests up (a command core).
    "resolver.autofix": (
        "resolver.chart",
        "resolver.registry",
        "resolver.resolution",  # CL104: both index.yaml files compared before http -> https
        "resolver.linter",
        "resolver.commands",
    ),
    "resolver.cli": (
        "resolver.chart",
        "resolver.registry",
        "resolver.resolution",
        "resolver.linter",
        "resolver.commands",
        "resolver.autofix",
    ),
    "resolver.api": (
        "resolver.chart",
        "resolver.registry",
        "resolver.resolution",
        "resolver.linter",
        "resolver.commands",
        "resolver.autofix",
    ),
    "resolver.__main__": ("resolver.cli",),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            module = node.module or ""
            for alias in node.names:
                # ``from resolver.chart import models`` depends on resolver.chart.models.
                yield node.lineno, f"{module}.{alias.name}"


def _layer(module: str) -> str:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return "resolver"


def _within(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def _graph() -> dict[str, list[tuple[int, str]]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        graph[_module_name(path)] = [
            (line, name) for line, name in _imports(path) if name.split(".")[0] == "resolver"
        ]
    return graph


def test_every_layer_imports_only_what_is_below_it() -> None:
    wrong = []
    for module, imports in _graph().items():
        layer = _layer(module)
        if layer == "resolver":  # the package's lazy __init__ re-exports the public API
            continue
        allowed = (layer, *FOUNDATION, *ALLOWED[layer])
        if layer in FOUNDATION:
            allowed = (layer, "resolver.errors", "resolver.util", *ROOT_NAMES)
        for line, target in imports:
            if not _within(target, allowed):
                wrong.append(f"{module}:{line} imports {target}")
    assert wrong == []


def test_no_module_imports_httpx_outside_the_network_layers() -> None:
    """Offline commands never import httpx: only the registry client and the command cores that
    talk to registries may."""
    network = ("resolver.registry", "resolver.resolution", "resolver.commands", "resolver.api")
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for line, name in _imports(path):
            if name.split(".")[0] == "httpx" and not _within(module, network):
                wrong.append(f"{module}:{line}")
    assert wrong == []


def _modules(graph: dict[str, list[tuple[int, str]]], name: str) -> str | None:
    """The module a dotted import names (``resolver.chart.models.Chart`` -> its module)."""
    while name:
        if name in graph:
            return name
        name = name.rpartition(".")[0]
    return None


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    edges = {
        module: sorted(
            {
                target
                for _, name in imports
                if (target := _modules(graph, name)) not in (None, module, "resolver")
                and not module.startswith(target + ".")  # a package's __init__ is not a cycle
            }
        )
        for module, imports in graph.items()
        if module != "resolver"
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_no_module_is_over_500_lines(path: Path) -> None:
    lines = path.read_text("utf-8").count("\n")
    assert lines <= 500, f"{_module_name(path)} has {lines} lines"


def test_records_are_one_idiom() -> None:
    """Values are :class:`resolver.util.records.Record` (frozen, slotted): no module uses
    ``dataclasses`` (it also costs start-up: it imports ``inspect``) or ``NamedTuple``."""
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, name in _imports(path):
            if name.split(".")[0] == "dataclasses" or name.endswith(".NamedTuple"):
                wrong.append(f"{_module_name(path)}:{line} imports {name}")
    assert wrong == []
