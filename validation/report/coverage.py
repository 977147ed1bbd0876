"""Line coverage of ``online/`` by a run of the suite, counting run-time statements only.

Importing a module executes its ``def``/``class`` headers, decorators, docstrings and
module-level assignments, so plain line coverage credits every module with many lines no
check exercised. Here the denominator is the statements inside function and method bodies
(found with :mod:`ast`: everything nested in a ``def``), which execute only when called;
coverage.py (started before the checks run, after ``online`` is imported) says which of them
ran.

    covered fraction = |run-time statements executed| / |run-time statements|

``online/testing.py`` (the contract harness, whose error branches run only when an estimator
breaks a contract) is the checker, not production code, and is left out. The numba kernels of
:mod:`online.bulk` are traced because ``contracts.online_estimators`` also runs their Python
source.

Example::

    >>> from online.ewma import TickEWMA
    >>> with OnlineCoverage() as cov:
    ...     TickEWMA(5.0).update(1.0)
    >>> 0.0 < cov.result().modules["ewma.py"].fraction < 1.0
    True
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import online

ONLINE_DIR = Path(online.__file__).resolve().parent
NOT_PRODUCTION = (Path("testing.py"),)
"""Modules of ``online/`` left out of the coverage: the contract harness."""


def runtime_lines(source: str) -> set[int]:
    """Line numbers of the statements nested in a function body (at any depth)."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in node.body:
                for inner in ast.walk(stmt):
                    if isinstance(inner, ast.stmt):
                        lines.add(inner.lineno)
    return lines


@dataclass(frozen=True)
class ModuleCoverage:
    covered: int
    statements: int

    @property
    def fraction(self) -> float:
        return self.covered / self.statements if self.statements else 1.0


@dataclass(frozen=True)
class CoverageResult:
    """Per module (path relative to ``online/``) and in total."""

    modules: dict[str, ModuleCoverage]

    @property
    def covered(self) -> int:
        return sum(m.covered for m in self.modules.values())

    @property
    def statements(self) -> int:
        return sum(m.statements for m in self.modules.values())

    @property
    def fraction(self) -> float:
        return self.covered / self.statements if self.statements else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": "run-time statements (inside function bodies) of online/ executed",
            "covered": self.covered,
            "statements": self.statements,
            "fraction": self.fraction,
            "modules": {
                k: {"covered": m.covered, "statements": m.statements, "fraction": m.fraction}
                for k, m in sorted(self.modules.items())
            },
        }


class OnlineCoverage:
    """Context manager: trace ``online/`` while the block runs, then :meth:`result`."""

    def __init__(self) -> None:
        import coverage

        self._cov = coverage.Coverage(data_file=None, source=[str(ONLINE_DIR)], branch=False)

    def __enter__(self) -> OnlineCoverage:
        self._cov.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cov.stop()

    def result(self) -> CoverageResult:
        data = self._cov.get_data()
        modules = {}
        for path in sorted(ONLINE_DIR.rglob("*.py")):
            if path.relative_to(ONLINE_DIR) in NOT_PRODUCTION:
                continue
            runtime = runtime_lines(path.read_text())
            executed = set(data.lines(str(path)) or ())
            _, statements, _, _, _ = self._cov.analysis2(str(path))
            counted = runtime & set(statements)
            modules[str(path.relative_to(ONLINE_DIR))] = ModuleCoverage(
                len(counted & executed), len(counted)
            )
        return CoverageResult(modules)
