"""The audit suites: which checks run, on which candidates, with which seeds.

``quick`` runs every check registered for it (``CheckSpec.suite == "quick"``) once on the
correct (production) candidate of its family. ``full`` adds the checks registered for
``full`` only, the known-bug catalogue's detection power and the measured false-alarm rate of
the fast checks over many seeds. Seeds are derived from one base seed and the check name, so
a report is reproducible from ``(suite, seed)`` and the recorded package versions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from validation.candidate_spec import candidate_label
from validation.candidates import correct_candidates
from validation.families import SUITES, Candidate, CheckSpec, check_seed
from validation.results import CheckResult, Status

Progress = Callable[[str], None]


def all_checks() -> list[CheckSpec]:
    """Every registered check (calibration and agreement), in a stable order."""
    from validation.agreement import CHECKS as AGREEMENT
    from validation.calibration import CHECKS as CALIBRATION
    from validation.endtoend import CHECKS as ENDTOEND

    checks = [*CALIBRATION, *AGREEMENT, *ENDTOEND]
    names = [c.name for c in checks]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate check names: {sorted(duplicates)}")
    return checks


def checks_by_name() -> dict[str, CheckSpec]:
    return {c.name: c for c in all_checks()}


def suite_checks(suite: str) -> list[CheckSpec]:
    """The checks ``suite`` runs: those registered for it or for a suite before it.

    >>> quick, full = suite_checks("quick"), suite_checks("full")
    >>> set(c.name for c in quick) < set(c.name for c in full)
    True
    """
    if suite not in SUITES:
        raise ValueError(f"suite={suite!r}: must be one of {SUITES}")
    return [c for c in all_checks() if SUITES.index(c.suite) <= SUITES.index(suite)]


@dataclass
class SuiteRun:
    """Results of running a list of checks, with timing."""

    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: sum(r.status is s for r in self.results) for s in Status}

    @property
    def exit_code(self) -> int:
        """Without a baseline (:func:`validation.verdict.classify`): 0 all passed; 1 a check
        failed; 2 none failed but some were inconclusive."""
        from validation.verdict import classify

        return classify(self.results).exit_code


def run_checks(
    checks: Iterable[CheckSpec],
    base_seed: int,
    candidates: dict[str, Candidate | None] | None = None,
    progress: Progress | None = None,
) -> SuiteRun:
    """Run each check once on the candidate of its family, with its derived seed.

    ``candidates`` maps families to candidates (e.g. from
    :func:`validation.candidate_spec.candidates_from_specs`); families it leaves out run on
    the production candidate. Each result records its candidate's ``module:function``.
    """
    checks = list(checks)
    candidates = {**correct_candidates(), **(candidates or {})}
    run = SuiteRun()
    start = time.perf_counter()
    for i, spec in enumerate(checks, 1):
        if progress:
            progress(f"[{i}/{len(checks)}] {spec.name} ...")
        t0 = time.perf_counter()
        candidate = candidates[spec.family]
        result = spec.run(candidate, check_seed(base_seed, spec.name))
        result.candidate = candidate_label(candidate)
        result.seconds = result.seconds or time.perf_counter() - t0
        result.kind = spec.kind
        run.results.append(result)
        if progress:
            progress(
                f"[{i}/{len(checks)}] {spec.name}: {result.status.value} ({result.seconds:.1f} s)"
            )
    run.seconds = time.perf_counter() - start
    return run
