"""An audit's verdict: gate checks and adequacy findings kept apart, findings against a baseline.

Every :class:`~validation.results.CheckResult` has a :class:`~validation.results.Kind`:

- GATE: the estimator computes what its model says. A FAIL is a defect; no baseline accepts it.
- ADEQUACY: the model describes these data. A FAIL is a *finding* with a size
  (``CheckResult.size``, larger is worse), classified against a reviewed baseline
  (:mod:`validation.baseline`):

  - ``accepted``: a baseline entry for the check on the same data files has a size s with
    measured size <= s (1 + ``SIZE_RTOL``);
  - ``grown``: such an entry exists but the measured size is larger (or not finite);
  - ``new``: no entry for the check on these data (also when the baseline accepted it on
    other data: a changed file is a new finding).

``SIZE_RTOL`` = 1e-6 is a floating-point reproducibility allowance, not a tolerance on the
finding: re-running the same audit (same data and seed) gives bit-identical PPC sizes, but
the MCMC-based S&P 500 size moved by 3.5e-10 relative between two runs on one machine (2.3000502773
and 2.3000502781). A reviewer who accepts more raises ``size`` in the baseline by hand.

Exit status (:attr:`Verdict.exit_code`): 1 if a gate check failed or a finding is new or
grown; otherwise 2 if any check (of either kind) was inconclusive; otherwise 0. Without a
baseline every finding is new, so a failing adequacy check exits 1.

Example::

    verdict = classify(run.results, load_baseline("validation-baseline.toml"))
    sys.exit(verdict.exit_code)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from validation.baseline import Baseline
from validation.results import CheckResult, Kind, Status

SIZE_RTOL = 1e-6
"""Relative allowance for run-to-run floating-point differences of a size (module docstring)."""


class FindingStatus(StrEnum):
    """How a failed adequacy check compares with the baseline."""

    ACCEPTED = "accepted"
    NEW = "new"
    GROWN = "grown"


@dataclass(frozen=True)
class Finding:
    """A failed adequacy check, its size and what the baseline says about it."""

    check: str
    status: FindingStatus
    size: float | None
    summary: str
    accepted_size: float | None = None
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class UnusedEntry:
    """A baseline entry no failed check of this audit matched, and why (informational)."""

    check: str
    reason: str
    why: str


@dataclass
class Verdict:
    """Counts per kind, the gate failures, the classified findings and unused baseline entries."""

    gate: dict[str, int]
    adequacy: dict[str, int]
    gate_failures: list[str]
    findings: list[Finding] = field(default_factory=list)
    unused: list[UnusedEntry] = field(default_factory=list)
    baseline: str | None = None

    def of_status(self, status: FindingStatus) -> list[Finding]:
        return [f for f in self.findings if f.status is status]

    @property
    def exit_code(self) -> int:
        """1: a gate check failed or a finding is new or grown; 2: otherwise, a check was
        inconclusive; 0: otherwise."""
        if self.gate_failures or any(f.status is not FindingStatus.ACCEPTED for f in self.findings):
            return 1
        if self.gate[Status.INCONCLUSIVE.value] or self.adequacy[Status.INCONCLUSIVE.value]:
            return 2
        return 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["exit_code"] = self.exit_code
        out["findings"] = {
            s.value: [asdict(f) | {"status": s.value} for f in self.of_status(s)]
            for s in FindingStatus
        }
        return out


def _counts(results: list[CheckResult]) -> dict[str, int]:
    return {s.value: sum(r.status is s for r in results) for s in Status}


def _classify_one(result: CheckResult, baseline: Baseline) -> tuple[Finding, int | None]:
    """The finding and the index of the baseline entry it matched (None if none)."""
    summary = result.explanation.size_summary or ""
    base = {"check": result.name, "size": result.size, "summary": summary}
    matched = [
        i
        for i, e in enumerate(baseline.findings)
        if e.check == result.name and e.matches_data(result.data_files)
    ]
    if not matched:
        note = "the baseline accepted it on other data" if baseline.entries_for(result.name) else ""
        return Finding(status=FindingStatus.NEW, note=note, **base), None
    (index,) = matched  # the baseline refuses two entries for the same check and files
    entry = baseline.findings[index]
    accepted = {"accepted_size": entry.size, "reason": entry.reason}
    if result.size is None or not math.isfinite(result.size):
        note = f"size {result.size!r} cannot be compared with the accepted size"
        return Finding(status=FindingStatus.GROWN, note=note, **base, **accepted), index
    within = result.size <= entry.size * (1.0 + SIZE_RTOL)
    status = FindingStatus.ACCEPTED if within else FindingStatus.GROWN
    return Finding(status=status, **base, **accepted), index


def _unused(results: list[CheckResult], baseline: Baseline, used: set[int]) -> list[UnusedEntry]:
    by_name = {r.name: r for r in results}
    out = []
    for i, entry in enumerate(baseline.findings):
        if i in used:
            continue
        result = by_name.get(entry.check)
        if result is None:
            why = "check not run"
        elif not entry.matches_data(result.data_files):
            why = "check ran on other data"
        else:
            why = f"check {result.status.value}"
        out.append(UnusedEntry(entry.check, entry.reason, why))
    return out


def classify(results: Iterable[CheckResult], baseline: Baseline | None = None) -> Verdict:
    """Split ``results`` by kind and classify each failed adequacy check (module docstring)."""
    results = list(results)
    baseline = baseline if baseline is not None else Baseline()
    gate = [r for r in results if r.kind is Kind.GATE]
    adequacy = [r for r in results if r.kind is Kind.ADEQUACY]
    findings, used = [], set()
    for r in adequacy:
        if r.status is Status.FAIL:
            finding, index = _classify_one(r, baseline)
            findings.append(finding)
            used.add(index)
    return Verdict(
        gate=_counts(gate),
        adequacy=_counts(adequacy),
        gate_failures=[r.name for r in gate if r.status is Status.FAIL],
        findings=findings,
        unused=_unused(results, baseline, used),
        baseline=baseline.source,
    )
