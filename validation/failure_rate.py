"""Failure rates over seeds, with exact Clopper-Pearson intervals, and the INCONCLUSIVE policy.

Every measured rate of the suite (false alarms of a check on a correct candidate, detection of
a known bug, false alarms of the whole quick suite, PPC rejections of a correct model) is a
binomial proportion over independent seeded runs and is computed here.

INCONCLUSIVE policy (one rule everywhere): a run whose verdict is INCONCLUSIVE (e.g. an MCMC
fit that failed its convergence gate) is neither a failure nor a pass. It is counted and
reported separately (``inconclusive``) and left out of the denominator::

    decided = runs - inconclusive
    rate    = failures / decided                      (NaN when decided = 0)

The 95% interval is Clopper-Pearson on (failures, decided), from
``scipy.stats.binomtest(...).proportion_ci(method="exact")``; with k = failures, n = decided
and a = 1 - level it equals the Beta quantiles
``[beta.ppf(a/2, k, n-k+1), beta.ppf(1-a/2, k+1, n-k)]`` (0 when k = 0, 1 when k = n).

Example::

    >>> from validation.results import Status
    >>> r = FailureRate.of([Status.FAIL, Status.PASS, Status.INCONCLUSIVE, Status.PASS])
    >>> (r.failures, r.decided, r.inconclusive, round(r.rate, 4))
    (1, 3, 1, 0.3333)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from scipy import stats

from validation.results import CheckResult, Status

CI_LEVEL = 0.95
"""Confidence level of every reported rate interval."""

Progress = Callable[[int, int], None]


def clopper_pearson(k: int, n: int, level: float = CI_LEVEL) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion k / n at ``level``.

    Raises ValueError naming the value when not 0 <= k <= n, n >= 1, 0 < level < 1.
    """
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"(k, n)=({k!r}, {n!r}): need n >= 1 and 0 <= k <= n")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level={level!r}: must lie in (0, 1)")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True, kw_only=True)
class FailureRate:
    """FAIL count over ``runs`` runs under the module's INCONCLUSIVE policy.

    Attributes:
        failures: runs that FAILED.
        inconclusive: runs that were INCONCLUSIVE (not in the denominator).
        runs: all runs (``decided + inconclusive``).
        rate: failures / decided (NaN when no run was decided).
        ci_low, ci_high: Clopper-Pearson interval of the rate at ``level`` (NaN when no run
            was decided).
        level: confidence level of the interval.
    """

    failures: int
    inconclusive: int
    runs: int
    rate: float
    ci_low: float
    ci_high: float
    level: float = CI_LEVEL

    @property
    def decided(self) -> int:
        """Runs that passed or failed."""
        return self.runs - self.inconclusive

    @classmethod
    def from_counts(
        cls, failures: int, runs: int, inconclusive: int = 0, level: float = CI_LEVEL
    ) -> FailureRate:
        """The rate of ``failures`` among ``runs - inconclusive`` decided runs."""
        decided = runs - inconclusive
        if inconclusive < 0 or not 0 <= failures <= decided:
            raise ValueError(
                f"(failures, runs, inconclusive)=({failures!r}, {runs!r}, {inconclusive!r}): "
                "need 0 <= failures <= runs - inconclusive and inconclusive >= 0"
            )
        lo, hi = clopper_pearson(failures, decided, level) if decided else (math.nan, math.nan)
        return cls(
            failures=failures,
            inconclusive=inconclusive,
            runs=runs,
            rate=failures / decided if decided else math.nan,
            ci_low=lo,
            ci_high=hi,
            level=level,
        )

    @classmethod
    def of(cls, statuses: Iterable[Status], level: float = CI_LEVEL) -> FailureRate:
        """The rate of FAIL among the given verdicts."""
        statuses = list(statuses)
        return cls.from_counts(
            statuses.count(Status.FAIL), len(statuses), statuses.count(Status.INCONCLUSIVE), level
        )


@dataclass(frozen=True, kw_only=True)
class SeedFailureRate(FailureRate):
    """A :class:`FailureRate` measured by running one check on seeds ``seed0 .. seed0 + n - 1``.

    Attributes (beyond :class:`FailureRate`, whose ``runs`` is ``n_seeds``):
        check: the check's name (from its results).
        candidate: the candidate's ``__name__`` (``repr`` when it has none).
        seed0: first seed.
        failed_seeds: the seeds that FAILED.
        min_statistic, max_statistic: range of the statistic over the decided runs.
        threshold: the check's threshold (of the last run).
        seconds: wall time of the measurement.
    """

    check: str
    candidate: str
    seed0: int
    failed_seeds: tuple[int, ...]
    min_statistic: float
    max_statistic: float
    threshold: float
    seconds: float

    @property
    def n_seeds(self) -> int:
        return self.runs


def measure_failure_rate(
    run: Callable[[object, int], CheckResult],
    candidate: object,
    n_seeds: int,
    seed0: int = 0,
    progress: Progress | None = None,
    level: float = CI_LEVEL,
) -> SeedFailureRate:
    """Run ``run(candidate, seed)`` (e.g. a ``CheckSpec.run``) for seeds ``seed0 ..
    seed0 + n_seeds - 1`` and measure its FAIL rate; ``progress(done, n_seeds)`` after each."""
    if n_seeds < 1:
        raise ValueError(f"n_seeds={n_seeds!r}: must be >= 1")
    start = time.perf_counter()
    results = []
    for i in range(n_seeds):
        results.append(run(candidate, seed0 + i))
        if progress is not None:
            progress(i + 1, n_seeds)
    rate = FailureRate.of((r.status for r in results), level)
    decided = [r.statistic for r in results if r.status is not Status.INCONCLUSIVE]
    return SeedFailureRate(
        **asdict(rate),
        check=results[-1].name,
        candidate=getattr(candidate, "__name__", repr(candidate)),
        seed0=seed0,
        failed_seeds=tuple(seed0 + i for i, r in enumerate(results) if r.failed),
        min_statistic=min(decided, default=math.nan),
        max_statistic=max(decided, default=math.nan),
        threshold=results[-1].threshold,
        seconds=time.perf_counter() - start,
    )
