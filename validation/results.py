"""The structured result every validation check returns.

``CheckResult.details`` holds the numbers behind a verdict. Besides plain JSON values it may
hold *typed parts*: objects with a ``to_json()`` method (e.g.
:class:`validation.calibration.uniformity.UniformityTest`,
:class:`validation.calibration.coverage.CoverageTable`), written to JSON through
``to_json()`` and found by type with :meth:`CheckResult.parts`, so a report reads their
attributes instead of looking for keys.

Example::

    >>> r = CheckResult("x", Status.PASS, 0.0, 1.0, details={"a": [Status.PASS]})
    >>> r.parts(Status)
    [('a.0', <Status.PASS: 'pass'>)]
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class Status(StrEnum):
    """Outcome of one check. INCONCLUSIVE is never counted as a pass."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


class Kind(StrEnum):
    """What a failure means.

    GATE: the estimator does not compute what its model says (online vs MCMC on the same
    data, exact fits, calibration on data drawn from the model): a defect, always fails the
    audit. ADEQUACY: the model does not describe these data (posterior predictive checks,
    regime effects on real data): a finding about the model, reported with its size, which a
    reviewed baseline may accept (:mod:`validation.verdict`).
    """

    GATE = "gate"
    ADEQUACY = "adequacy"


@dataclass(frozen=True)
class DataFile:
    """A data file a check ran on, identified by content.

    Example: ``DataFile.of(Path("LOBSTER_SampleFile_AAPL_2012-06-21_1.zip")).sha256``.
    """

    name: str
    bytes: int
    sha256: str

    @classmethod
    def of(cls, path: str | Path) -> DataFile:
        """Name (without directory), size in bytes and sha256 hex digest of ``path``."""
        path = Path(path)
        with path.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        return cls(name=path.name, bytes=path.stat().st_size, sha256=digest)


@dataclass(frozen=True)
class Explanation:
    """The short texts a check puts beside its numbers, read from ``details`` in this one place
    (the report and the verdict read these attributes, never the keys).

    Attributes:
        statistic_name: what ``statistic`` is and when the check fails.
        size_name: for ADEQUACY checks, what ``size`` measures.
        size_summary: for ADEQUACY checks, the numbers behind ``size``.
        reason: why the check ended as it did when no statistic could be computed.
        candidate_error: the exception a candidate raised on valid data.

    >>> Explanation.of({"statistic_name": "max |z|", "n": 3})  # doctest: +NORMALIZE_WHITESPACE
    Explanation(statistic_name='max |z|', size_name=None, size_summary=None, reason=None,
                candidate_error=None)
    """

    statistic_name: str | None = None
    size_name: str | None = None
    size_summary: str | None = None
    reason: str | None = None
    candidate_error: str | None = None

    @classmethod
    def of(cls, details: dict[str, Any]) -> Explanation:
        """The texts present in ``details`` (None where a check gives none)."""
        return cls(**{f.name: _text(details.get(f.name)) for f in fields(cls)})


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


@dataclass
class CheckResult:
    """One check's verdict and the numbers behind it.

    Attributes:
        name: check name, e.g. ``"sbc.conjugate_kappa"``.
        status: pass / fail / inconclusive.
        statistic: the tested statistic (its meaning in :attr:`explanation`).
        threshold: the value ``statistic`` is compared against.
        details: JSON-serialisable numbers behind the verdict (tolerances, MCSEs, p-values...).
        seed: the seed that makes the check reproducible.
        seconds: wall time of the check.
        false_alarm_rate: the nominal probability that this check fails on a correct
            estimator (0.0 for deterministic comparisons to a tolerance).
        kind: GATE (a failure is a defect of the estimator) or ADEQUACY (a failure is a
            finding about the model on these data); see :class:`Kind`.
        size: for ADEQUACY checks, how far the data are from the model (>= 0, larger is
            worse; its meaning and the numbers behind it in :attr:`explanation`); None for
            GATE checks.
        data_files: the real-data files the check ran on (empty for simulated scenarios).
        candidate: ``module:function`` of the candidate the check ran on (None for checks
            of the reference models); stamped by :func:`validation.suite.run_checks`.
    """

    name: str
    status: Status
    statistic: float
    threshold: float
    details: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    seconds: float = 0.0
    false_alarm_rate: float = 0.0
    kind: Kind = Kind.GATE
    size: float | None = None
    data_files: list[DataFile] = field(default_factory=list)
    candidate: str | None = None

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    @property
    def explanation(self) -> Explanation:
        """The texts beside the numbers (:class:`Explanation`)."""
        return Explanation.of(self.details)

    def parts(self, cls: type[T]) -> list[tuple[str, T]]:
        """Every ``(path, part)`` of type ``cls`` in ``details`` (depth-first, through dicts,
        lists and dataclass fields); the path joins keys, indices and field names with dots."""
        return find_parts(self.details, cls)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; non-finite floats become strings so the JSON stays valid."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}  # details: to_json, not asdict
        out["data_files"] = [asdict(f) for f in self.data_files]
        out["status"] = self.status.value
        out["kind"] = self.kind.value
        return _json_safe(out)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """Inverse of :meth:`to_dict` (non-finite floats written as strings are restored)."""
        size = data.get("size")
        return cls(
            name=data["name"],
            status=Status(data["status"]),
            statistic=float(data["statistic"]),
            threshold=float(data["threshold"]),
            details=data.get("details", {}),
            seed=data.get("seed"),
            seconds=float(data.get("seconds", 0.0)),
            false_alarm_rate=float(data.get("false_alarm_rate", 0.0)),
            kind=Kind(data.get("kind", Kind.GATE.value)),
            size=None if size is None else float(size),
            data_files=[DataFile(**f) for f in data.get("data_files", [])],
            candidate=data.get("candidate"),
        )


def find_parts(node: Any, cls: type[T], path: str = "") -> list[tuple[str, T]]:
    """Every ``(path, part)`` of type ``cls`` under ``node`` (see :meth:`CheckResult.parts`)."""
    if isinstance(node, cls):
        return [(path, node)]
    if isinstance(node, dict):
        children = [(str(k), v) for k, v in node.items()]
    elif isinstance(node, list | tuple):
        children = [(str(i), v) for i, v in enumerate(node)]
    elif is_dataclass(node) and not isinstance(node, type):
        children = [(f.name, getattr(node, f.name)) for f in fields(node)]
    else:
        return []
    found: list[tuple[str, T]] = []
    for key, child in children:
        found += find_parts(child, cls, f"{path}.{key}" if path else key)
    return found


def _json_safe(obj: Any) -> Any:
    if hasattr(obj, "to_json") and callable(obj.to_json):  # a typed part of the details
        return _json_safe(obj.to_json())
    if is_dataclass(obj) and not isinstance(obj, type):  # as dataclasses.asdict would
        return _json_safe({f.name: getattr(obj, f.name) for f in fields(obj)})
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _json_safe(obj.item())
    if hasattr(obj, "tolist"):  # numpy array
        return _json_safe(obj.tolist())
    return obj
