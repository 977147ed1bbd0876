"""Packaging: the plain install carries what ``online`` imports, the extras the rest.

Every third-party import (found with ``ast``, wherever it stands) is mapped to its
distribution with ``importlib.metadata.packages_distributions()`` and must be declared:
``online`` (except ``online.metrics``) by the core dependencies, ``online.metrics`` by the
``metrics`` extra, ``reference_models`` and ``validation`` by the core, ``validation``,
``jax`` or ``test`` extras. A fresh interpreter that cannot import the ``validation`` extra's
packages still imports every ``online`` module but ``online.metrics`` and the pytest plugin
registered for every install.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]


def _names(requirements: list[str]) -> set[str]:
    """Normalised distribution names of requirement strings (self-references expanded)."""
    out: set[str] = set()
    for req in requirements:
        name = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0].lower().replace("_", "-")
        if name == PROJECT["name"]:
            extras = re.search(r"\[(.*)\]", req)
            for extra in extras.group(1).split(",") if extras else ():
                out |= _names(EXTRAS[extra.strip()])
        else:
            out.add(name)
    return out


def _third_party(paths: list[Path]) -> set[str]:
    """Top-level names of the non-stdlib, non-project modules imported in ``paths``."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    project = {"online", "reference_models", "validation"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in project}


def _distributions(modules: set[str]) -> set[str]:
    mapping = importlib.metadata.packages_distributions()
    return {d.lower().replace("_", "-") for m in modules for d in mapping.get(m, [m])}


def _files(package: str, exclude: tuple[str, ...] = ()) -> list[Path]:
    return [p for p in sorted((ROOT / package).rglob("*.py")) if p.name not in exclude]


def test_core_dependencies_are_what_online_imports() -> None:
    used = _distributions(_third_party(_files("online", exclude=("metrics.py",))))
    assert used == _names(PROJECT["dependencies"])
    assert {"pymc", "dask", "arch", "arviz", "prometheus-client"}.isdisjoint(
        _names(PROJECT["dependencies"])
    )


def test_metrics_extra_covers_the_exporter() -> None:
    used = _distributions(_third_party([ROOT / "online" / "metrics.py"]))
    assert used <= _names(PROJECT["dependencies"]) | _names(EXTRAS["metrics"])


@pytest.mark.parametrize("package", ["reference_models", "validation"])
def test_validation_extras_cover_the_suite(package: str) -> None:
    used = _distributions(_third_party(_files(package)))
    declared = _names(PROJECT["dependencies"]) | _names(EXTRAS["test"])
    assert used - declared == set()


def test_test_extra_includes_validation_and_metrics() -> None:
    assert _names(EXTRAS["validation"]) | _names(EXTRAS["metrics"]) <= _names(EXTRAS["test"])


BLOCKED = ("pymc", "pytensor", "arviz", "dask", "arch", "matplotlib", "pandas", "xarray")


def _run_without_extras(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where importing a BLOCKED package fails."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {BLOCKED!r}:\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    return subprocess.run(
        [sys.executable, "-c", blocker + code], cwd=ROOT, capture_output=True, text=True
    )


def test_online_and_the_pytest_plugin_import_without_the_validation_extra() -> None:
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in _files("online", exclude=("metrics.py",))
    )
    code = f"import importlib\nfor m in {modules!r} + ['validation.pytest_plugin']:\n"
    code += "    importlib.import_module(m)\nprint('ok')\n"
    out = _run_without_extras(code)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_the_blocker_blocks() -> None:
    out = _run_without_extras("import arviz\n")
    assert out.returncode != 0 and "ModuleNotFoundError" in out.stderr
