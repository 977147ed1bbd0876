"""Measured detection power of the checks on the known bugs, and the suite's false-alarm rate.

Both are binomial proportions over independent seeds, measured by
:mod:`validation.failure_rate` (exact Clopper-Pearson 95% intervals). An INCONCLUSIVE result
(e.g. an MCMC fit that failed its convergence gate) is never a detection: it is counted
separately and left out of the denominator. A suite trial is FAIL when any check fails,
INCONCLUSIVE when none fails but one is inconclusive, PASS otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from validation.catalogue.entry import BugEntry
from validation.failure_rate import FailureRate, Progress, measure_failure_rate
from validation.families import Candidate, CheckSpec, check_seed
from validation.results import Status


@dataclass(frozen=True)
class PowerRow:
    """Detection of one bug by its check over ``n_seeds`` seeds (seeds seed0 .. seed0+n-1).

    ``rate = detections / (n_seeds - inconclusive)``; (ci_low, ci_high) is the 95%
    Clopper-Pearson interval (:mod:`validation.failure_rate`).

    >>> PowerRow("a.bug", "a.check", 100, 98, 0.98, 0.93, 0.998).meets_target  # target 0.99
    False
    """

    entry: str
    check: str
    n_seeds: int
    detections: int
    rate: float
    ci_low: float
    ci_high: float
    inconclusive: int = 0
    min_detection: float = 0.99
    seconds: float = 0.0

    @property
    def meets_target(self) -> bool:
        """rate >= min_detection."""
        return self.rate >= self.min_detection

    def to_dict(self) -> dict:
        return asdict(self) | {"meets_target": self.meets_target}


@dataclass(frozen=True)
class FalseAlarmResult:
    """How often ANY of the checks fails on the correct candidates, over ``n_seeds`` trials.

    Trial k runs every check once with the seed ``check_seed(seed0 + k, check name)``, i.e. it
    is the quick suite run with base seed seed0 + k. ``rate = any_failed / (n_seeds -
    inconclusive_trials)`` (trials with no failure but an inconclusive check are left out).
    ``nominal_bound`` is the Bonferroni bound sum of the checks' stated false-alarm rates.
    """

    checks: tuple[str, ...]
    n_seeds: int
    any_failed: int
    rate: float
    ci_low: float
    ci_high: float
    nominal_bound: float
    failures: dict[str, int] = field(default_factory=dict)
    inconclusive: dict[str, int] = field(default_factory=dict)
    failed_seeds: tuple[int, ...] = ()
    seconds: float = 0.0
    inconclusive_trials: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def measure_power(
    entries: Iterable[BugEntry],
    checks_by_name: Mapping[str, CheckSpec],
    n_seeds: int,
    seed0: int = 0,
    progress: Progress | None = None,
) -> list[PowerRow]:
    """Run each entry's ``caught_by`` check on its candidate for seeds seed0 .. seed0+n-1.

    Raises:
        KeyError: if an entry's check is not in ``checks_by_name``.
        ValueError: if the check's family differs from the entry's, or n_seeds < 1.

    >>> from validation.catalogue import CATALOGUE
    >>> from validation.suite import checks_by_name
    >>> entry = next(e for e in CATALOGUE if e.name == "ewma.one_second_gaps")
    >>> (row,) = measure_power([entry], checks_by_name(), n_seeds=3)
    >>> row.detections, row.n_seeds, row.meets_target
    (3, 3, True)
    """
    entries = list(entries)
    if n_seeds < 1:
        raise ValueError(f"n_seeds={n_seeds!r}: must be >= 1")
    specs = [checks_by_name[e.caught_by] for e in entries]
    for entry, spec in zip(entries, specs, strict=True):
        if spec.family != entry.family:
            raise ValueError(
                f"{entry.name}: family {entry.family!r} but {spec.name} takes {spec.family!r}"
            )
    total = len(entries) * n_seeds
    rows = []
    for i, (entry, spec) in enumerate(zip(entries, specs, strict=True)):

        def step(done: int, _n: int, before: int = i * n_seeds) -> None:
            if progress:
                progress(before + done, total)

        m = measure_failure_rate(spec.run, entry.candidate, n_seeds, seed0, step)
        rows.append(
            PowerRow(
                entry=entry.name,
                check=spec.name,
                n_seeds=n_seeds,
                detections=m.failures,
                rate=m.rate,
                ci_low=m.ci_low,
                ci_high=m.ci_high,
                inconclusive=m.inconclusive,
                min_detection=entry.min_detection,
                seconds=m.seconds,
            )
        )
    return rows


def measure_false_alarms(
    checks: Sequence[CheckSpec],
    correct_candidates: Mapping[str, Candidate | None],
    n_seeds: int,
    seed0: int = 0,
    progress: Progress | None = None,
) -> FalseAlarmResult:
    """Fraction of trials in which at least one check FAILS on the correct candidates.

    ``correct_candidates`` maps family -> candidate (``None`` for ``"reference"`` checks).

    Raises:
        KeyError: if a check's family is not in ``correct_candidates``.
        ValueError: if n_seeds < 1.

    >>> from validation.suite import checks_by_name, correct_candidates
    >>> ewma = [c for c in checks_by_name().values() if c.family == "ewma"]
    >>> res = measure_false_alarms(ewma, correct_candidates(), n_seeds=3)
    >>> res.any_failed, res.n_seeds, res.nominal_bound
    (0, 3, 0.0)
    """
    if n_seeds < 1:
        raise ValueError(f"n_seeds={n_seeds!r}: must be >= 1")
    names = tuple(c.name for c in checks)
    failures = dict.fromkeys(names, 0)
    inconclusive = dict.fromkeys(names, 0)
    failed_seeds = []
    trials: list[Status] = []
    total, done = len(checks) * n_seeds, 0
    start = time.perf_counter()
    for k in range(n_seeds):
        base = seed0 + k
        any_failed = any_inconclusive = False
        for spec in checks:
            status = spec.run(correct_candidates[spec.family], check_seed(base, spec.name)).status
            failures[spec.name] += status is Status.FAIL
            inconclusive[spec.name] += status is Status.INCONCLUSIVE
            any_failed |= status is Status.FAIL
            any_inconclusive |= status is Status.INCONCLUSIVE
            done += 1
            if progress:
                progress(done, total)
        if any_failed:
            failed_seeds.append(base)
        trials.append(
            Status.FAIL if any_failed else Status.INCONCLUSIVE if any_inconclusive else Status.PASS
        )
    rate = FailureRate.of(trials)
    return FalseAlarmResult(
        checks=names,
        n_seeds=n_seeds,
        any_failed=rate.failures,
        rate=rate.rate,
        ci_low=rate.ci_low,
        ci_high=rate.ci_high,
        nominal_bound=sum(c.false_alarm_rate for c in checks),
        failures=failures,
        inconclusive=inconclusive,
        failed_seeds=tuple(failed_seeds),
        seconds=time.perf_counter() - start,
        inconclusive_trials=rate.inconclusive,
    )
