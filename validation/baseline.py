"""The reviewed baseline of accepted adequacy findings that ``audit --baseline FILE`` reads.

A baseline is a TOML file checked in next to the code (e.g. ``validation-baseline.toml``). Each
``[[finding]]`` accepts one ADEQUACY finding (a check of :class:`validation.results.Kind`
ADEQUACY that failed) on named data up to a size::

    version = 1

    [[finding]]
    check = "realdata.market_kappa_ppc.AAPL"
    reason = "trade distances are not exponential (half-spread offset); kappa is used anyway"
    size = 2.31           # accepted CheckResult.size; a larger size is a grown finding
    size_name = "..."     # what the size measures (informational)
    summary = "cv observed 0.44 vs replicate 99% band [0.9, 1.1] ..."   # informational
    seed = 0              # base seed of the audit it was accepted from (informational)

    [[finding.data]]
    name = "LOBSTER_SampleFile_AAPL_2012-06-21_1.zip"
    bytes = 1524190       # at least one of bytes and sha256; every one given must match
    sha256 = "..."

``check``, ``reason`` (non-empty), ``size`` (finite, >= 0) and ``data`` (one or more files) are
required. GATE checks cannot be accepted: :mod:`validation.verdict` fails the audit on any of
them whatever the baseline says. :func:`accept` writes entries from an audit's results
(``python -m validation baseline --from audit-out/report.json --reason "..."``).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from validation.results import CheckResult, DataFile, Kind, Status

VERSION = 1
HEADER = (
    "# Accepted adequacy findings of `python -m validation audit --baseline FILE`.\n"
    "# Each entry accepts one model finding on the named data up to `size`; review the\n"
    "# reason before committing. Gate checks (estimator defects) cannot be accepted.\n"
)


class BaselineError(ValueError):
    """A baseline file or entry is invalid; the message names the field and the value."""


@dataclass(frozen=True)
class DataRef:
    """A data file as a baseline names it: ``name`` and at least one of ``bytes``, ``sha256``."""

    name: str
    bytes: int | None = None
    sha256: str | None = None

    def matches(self, data: DataFile) -> bool:
        """Same name, and every given field of size and digest equal."""
        return (
            self.name == data.name
            and (self.bytes is None or self.bytes == data.bytes)
            and (self.sha256 is None or self.sha256.lower() == data.sha256)
        )


@dataclass(frozen=True)
class AcceptedFinding:
    """One accepted adequacy finding: check name, reason, data, accepted size."""

    check: str
    reason: str
    size: float
    data: tuple[DataRef, ...]
    size_name: str = ""
    summary: str = ""
    seed: int | None = None

    def matches_data(self, files: Iterable[DataFile]) -> bool:
        """True when the result ran on exactly the named files (one match per reference)."""
        files = list(files)
        return len(files) == len(self.data) and all(
            any(ref.matches(f) for f in files) for ref in self.data
        )

    @property
    def data_names(self) -> frozenset[str]:
        return frozenset(ref.name for ref in self.data)

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "reason": self.reason, "size": self.size}
        if self.size_name:
            out["size_name"] = self.size_name
        if self.summary:
            out["summary"] = self.summary
        if self.seed is not None:
            out["seed"] = self.seed
        out["data"] = [{k: v for k, v in vars(ref).items() if v is not None} for ref in self.data]
        return out


@dataclass(frozen=True)
class Baseline:
    """The accepted findings, and the file they were read from (None when built in memory)."""

    findings: tuple[AcceptedFinding, ...] = ()
    source: str | None = None

    def entries_for(self, check: str) -> list[AcceptedFinding]:
        return [f for f in self.findings if f.check == check]

    def to_toml(self) -> str:
        body = {"version": VERSION, "finding": [f.to_toml() for f in self.findings]}
        return HEADER + "\n" + tomli_w.dumps(body)


def _field(entry: dict[str, Any], key: str, types: type | tuple[type, ...], where: str) -> Any:
    if key not in entry:
        raise BaselineError(f"{where}: missing field {key!r}")
    value = entry[key]
    if not isinstance(value, types) or isinstance(value, bool):
        raise BaselineError(f"{where}: field {key!r} = {value!r} has the wrong type")
    return value


def _data_ref(entry: Any, where: str) -> DataRef:
    if not isinstance(entry, dict):
        raise BaselineError(f"{where}: data entry {entry!r} is not a table")
    name = _field(entry, "name", str, where)
    size = entry.get("bytes")
    digest = entry.get("sha256")
    if size is None and digest is None:
        raise BaselineError(f"{where}: data {name!r} needs 'bytes' or 'sha256'")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise BaselineError(f"{where}: data {name!r} field 'bytes' = {size!r} is not a size")
    if digest is not None and (
        not isinstance(digest, str)
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest.lower())
    ):
        raise BaselineError(f"{where}: data {name!r} field 'sha256' = {digest!r} is not a digest")
    return DataRef(name=name, bytes=size, sha256=digest)


def _finding(entry: Any, index: int) -> AcceptedFinding:
    where = f"finding[{index}]"
    if not isinstance(entry, dict):
        raise BaselineError(f"{where} = {entry!r} is not a table")
    check = _field(entry, "check", str, where)
    where = f"finding[{index}] ({check})"
    reason = _field(entry, "reason", str, where)
    if not reason.strip():
        raise BaselineError(f"{where}: field 'reason' = {reason!r} is empty")
    size = float(_field(entry, "size", (int, float), where))
    if not math.isfinite(size) or size < 0:
        raise BaselineError(f"{where}: field 'size' = {size!r} must be finite and >= 0")
    data = _field(entry, "data", list, where)
    if not data:
        raise BaselineError(f"{where}: field 'data' is empty")
    seed = entry.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise BaselineError(f"{where}: field 'seed' = {seed!r} is not an integer")
    return AcceptedFinding(
        check=check,
        reason=reason,
        size=size,
        data=tuple(_data_ref(d, where) for d in data),
        size_name=str(entry.get("size_name", "")),
        summary=str(entry.get("summary", "")),
        seed=seed,
    )


def _check_unique(findings: Iterable[AcceptedFinding]) -> None:
    seen: set[tuple[str, frozenset[str]]] = set()
    for f in findings:
        key = (f.check, f.data_names)
        if key in seen:
            raise BaselineError(f"finding {f.check!r} is listed twice for the same data files")
        seen.add(key)


def parse_baseline(text: str, source: str | None = None) -> Baseline:
    """Parse baseline TOML (module docstring).

    Raises:
        BaselineError: invalid TOML, unknown version, or an invalid entry (named).
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BaselineError(f"baseline {source or '<text>'}: not valid TOML: {exc}") from exc
    version = doc.get("version", VERSION)
    if version != VERSION:
        raise BaselineError(f"baseline field 'version' = {version!r}: only {VERSION} is known")
    entries = doc.get("finding", [])
    if not isinstance(entries, list):
        raise BaselineError(f"baseline field 'finding' = {entries!r} is not an array of tables")
    findings = tuple(_finding(e, i) for i, e in enumerate(entries))
    _check_unique(findings)
    return Baseline(findings=findings, source=source)


def load_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file (see :func:`parse_baseline`)."""
    path = Path(path)
    return parse_baseline(path.read_text(encoding="utf-8"), source=str(path))


def accept(
    results: Iterable[CheckResult],
    reason: str,
    *,
    checks: Iterable[str] | None = None,
    existing: Baseline | None = None,
    seed: int | None = None,
) -> Baseline:
    """``existing`` plus one entry per failed ADEQUACY result (those named in ``checks``, or
    all), each accepted at its measured size on its data; an earlier entry for the same check
    and the same data file names is replaced.

    Raises:
        BaselineError: empty reason; a named check that is absent, a GATE check, not failed,
            or without data files or a finite size.

    Example: ``accept(run.results, "exponential model known to misfit").to_toml()``.
    """
    if not reason.strip():
        raise BaselineError(f"reason = {reason!r} is empty")
    results = list(results)
    by_name = {r.name: r for r in results}
    if checks is None:
        chosen = [r for r in results if r.kind is Kind.ADEQUACY and r.status is Status.FAIL]
    else:
        chosen = []
        for name in checks:
            if name not in by_name:
                raise BaselineError(f"check = {name!r} is not in the audit's results")
            chosen.append(by_name[name])
    new = []
    for r in chosen:
        if r.kind is not Kind.ADEQUACY:
            raise BaselineError(f"check = {r.name!r} is a gate check: it cannot be accepted")
        if r.status is not Status.FAIL:
            raise BaselineError(
                f"check = {r.name!r} has status {r.status.value}: nothing to accept"
            )
        if not r.data_files:
            raise BaselineError(f"check = {r.name!r} names no data file: cannot be accepted")
        if r.size is None or not math.isfinite(r.size):
            raise BaselineError(f"check = {r.name!r} has size {r.size!r}: cannot be accepted")
        new.append(
            AcceptedFinding(
                check=r.name,
                reason=reason,
                size=float(r.size),
                data=tuple(DataRef(f.name, f.bytes, f.sha256) for f in r.data_files),
                size_name=r.explanation.size_name or "",
                summary=r.explanation.size_summary or "",
                seed=seed,
            )
        )
    replaced = {(n.check, n.data_names) for n in new}
    kept = [
        f
        for f in (existing.findings if existing else ())
        if (f.check, f.data_names) not in replaced
    ]
    return Baseline(findings=(*kept, *new), source=existing.source if existing else None)
