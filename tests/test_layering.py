"""Import layering of the three packages, read from the source with ``ast``.

Every ``import`` statement counts, wherever it stands: at module level, inside a function, or
under ``if TYPE_CHECKING:``. An import edge goes to the most specific module it names
(``from a.b import c`` is an edge to ``a.b.c`` when that is a module, else to ``a.b``); the
parent packages an import also initialises are not edges. Dynamic imports
(``importlib.import_module``) are not seen.

Rules:

- no cycle between modules;
- no cycle between *units*: a subpackage (``validation.agreement``, ``reference_models.backends``,
  ``online.bulk``) is one unit, a module directly inside a top-level package
  (``validation.suite``, ``reference_models.sampling``) is a unit of its own, and each
  top-level ``__init__`` is one;
- ``online`` imports nothing from ``reference_models`` or ``validation``;
  ``reference_models`` imports nothing from ``online`` or ``validation``;
- ``import online`` and every ``online`` submodule except ``online.metrics`` load none of
  pymc, pytensor, dask, arch, arviz (checked in a fresh interpreter).

Example: ``python -c "import sys; sys.path.insert(0, 'tests'); import test_layering as t;
print(t.module_cycles(t.import_graph()))"`` prints the module cycles (none).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("online", "reference_models", "validation")
HEAVY = ("pymc", "pytensor", "dask", "arch", "arviz")

Graph = dict[str, set[str]]


def _module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the three packages."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """Absolute module name of a ``from ... import`` (relative levels resolved)."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imported(module: str, path: Path, known: Iterable[str]) -> set[str]:
    """The project modules ``module`` imports anywhere in its source."""
    known = set(known)
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                targets.add(sub if sub in known else source)
    return {t for t in targets if t in known and t != module}


def import_graph() -> Graph:
    """Module -> the project modules it imports (statements anywhere in the file)."""
    files = _module_files()
    return {m: _imported(m, p, files) for m, p in files.items()}


def unit_of(module: str) -> str:
    """The layering unit of a module: its subpackage, else the module itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def unit_graph(graph: Mapping[str, set[str]]) -> Graph:
    """Edges between units (self-edges dropped)."""
    units: Graph = {}
    for source, targets in graph.items():
        edges = units.setdefault(unit_of(source), set())
        edges.update(unit_of(t) for t in targets if unit_of(t) != unit_of(source))
    return units


def strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one node (each sorted)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(components)


def module_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    return strongly_connected(graph)


def unit_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    return strongly_connected(unit_graph(graph))


# -- the analysis itself, on small hand-made graphs and files ---------------------------------


def test_strongly_connected_finds_cycles_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_unit_of() -> None:
    assert unit_of("validation.agreement.audit") == "validation.agreement"
    assert unit_of("validation.suite") == "validation.suite"
    assert unit_of("validation") == "validation"
    assert unit_of("reference_models.backends.base") == "reference_models.backends"


def test_function_local_and_relative_imports_are_edges(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import c\n"
        "def f():\n    from pkg.a import thing\n"
        "    import pkg.b\n"
        "from . import d\n"
    )
    known = {"pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d", "pkg.mod"}
    assert _imported("pkg.mod", source, known) == {"pkg.a", "pkg.b", "pkg.c", "pkg.d"}


# -- the rules on the project ----------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph()


def test_graph_sees_the_packages(graph: Graph) -> None:
    assert "online.unified" in graph
    assert "validation.suite" in graph["validation.cli"] or any(
        "validation.suite" in graph[m] for m in graph if m.startswith("validation.cli")
    )


def test_no_module_cycle(graph: Graph) -> None:
    assert module_cycles(graph) == []


def test_no_unit_cycle(graph: Graph) -> None:
    assert unit_cycles(graph) == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("online", ("reference_models", "validation")),
        ("reference_models", ("online", "validation")),
    ],
)
def test_package_imports_only_downward(graph: Graph, package: str, forbidden: tuple) -> None:
    bad = sorted(
        (m, t)
        for m, targets in graph.items()
        if m.split(".")[0] == package
        for t in targets
        if t.split(".")[0] in forbidden
    )
    assert bad == []


def _online_modules() -> list[str]:
    return sorted(
        m for m in _module_files() if m.split(".")[0] == "online" and m != "online.metrics"
    )


def _heavy_loaded_after_importing(modules: list[str]) -> list[str]:
    """The HEAVY packages in sys.modules of a fresh interpreter that imported ``modules``."""
    script = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        f"print(json.dumps(sorted(p for p in {HEAVY!r} if p in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_online_loads_no_heavy_package() -> None:
    modules = _online_modules()
    assert "online" in modules and "online.unified" in modules and "online.bulk" in modules
    assert _heavy_loaded_after_importing(modules) == []


def test_heavy_check_sees_a_heavy_import() -> None:
    """The same probe reports a heavy package when one is imported (the check can fail)."""
    assert "arviz" in _heavy_loaded_after_importing(["online", "arviz"])
