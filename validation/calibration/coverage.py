"""Empirical coverage of credible intervals across SBC replications, with exact binomial bands.

Interval kinds at level c (theta the true parameter, F the posterior CDF, q = F^-1):

- ``"central"``: [q((1-c)/2), q((1+c)/2)], the posterior's own ``interval(c)``;
- ``"lower"``: [q(1-c), +inf), a one-sided *lower* credible bound;
- ``"upper"``: (-inf, q(c)], a one-sided *upper* credible bound.

Over N independent replications of an exact posterior the number of covering intervals is
exactly Binomial(N, c). The acceptance band at test level a is the equal-tailed binomial
quantile range [F^-1(a/2), F^-1(1 - a/2)] of Binomial(N, c) (``scipy.stats.binom.interval``):
a correct posterior falls outside it with probability <= a. The Clopper-Pearson interval is
reported as a confidence interval for the true coverage
(:func:`validation.failure_rate.clopper_pearson`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from validation.failure_rate import clopper_pearson
from validation.families import PosteriorLike

LEVELS = (0.5, 0.8, 0.95)
KINDS = ("central", "lower", "upper")


@dataclass(frozen=True)
class CoverageRow:
    """Coverage of one interval kind at one nominal level, with its binomial band.

    Attributes:
        kind, nominal: which interval (see module docstring).
        n, covered: replications and how many intervals contained theta.
        empirical: covered / n.
        shortfall: nominal - empirical (positive = intervals too narrow).
        count_low, count_high: acceptance range of ``covered`` at test level ``alpha``
            (``band_low``/``band_high`` are the same range as coverage fractions).
        ci_low, ci_high: Clopper-Pearson (1 - alpha) interval for the true coverage.
        alpha: the test level of this row.
    """

    kind: str
    nominal: float
    n: int
    covered: int
    empirical: float
    shortfall: float
    count_low: int
    count_high: int
    ci_low: float
    ci_high: float
    alpha: float

    @property
    def band_low(self) -> float:
        return self.count_low / self.n

    @property
    def band_high(self) -> float:
        return self.count_high / self.n

    @property
    def outside_band(self) -> bool:
        return not self.count_low <= self.covered <= self.count_high

    @property
    def excursion(self) -> float:
        """Standardised distance from nominal: (k - n c) / (hi + 1/2 - n c) above,
        (n c - k) / (n c - lo + 1/2) below (counts); > 1 exactly when outside the band."""
        expected = self.n * self.nominal
        lo, hi = self.count_low, self.count_high
        if self.covered >= expected:
            return (self.covered - expected) / max(hi + 0.5 - expected, 0.5)
        return (expected - self.covered) / max(expected - lo + 0.5, 0.5)


def binomial_band(n: int, p: float, alpha: float) -> tuple[int, int]:
    """Equal-tailed acceptance range (lo, hi) of counts: P(X < lo) + P(X > hi) <= alpha."""
    lo, hi = stats.binom.interval(1.0 - alpha, n, p)
    return int(lo), int(hi)


def coverage_row(kind: str, nominal: float, covered: np.ndarray, alpha: float) -> CoverageRow:
    """The :class:`CoverageRow` of boolean coverage indicators ``covered`` (one per replication)."""
    c = np.asarray(covered, dtype=bool)
    n, k = int(c.size), int(np.count_nonzero(c))
    lo, hi = binomial_band(n, nominal, alpha)
    ci_low, ci_high = clopper_pearson(k, n, 1.0 - alpha)
    return CoverageRow(
        kind=kind,
        nominal=float(nominal),
        n=n,
        covered=k,
        empirical=k / n,
        shortfall=float(nominal) - k / n,
        count_low=lo,
        count_high=hi,
        ci_low=ci_low,
        ci_high=ci_high,
        alpha=float(alpha),
    )


def posterior_coverage(
    posterior: PosteriorLike, theta: float, levels: tuple[float, ...] = LEVELS
) -> dict[str, list[bool]]:
    """Whether each interval kind at each level contains theta, for one posterior.

    Central intervals come from ``posterior.interval(c)``; one-sided bounds from
    ``posterior.ppf``.
    """
    central = []
    for c in levels:
        lo, hi = posterior.interval(c)
        central.append(lo <= theta <= hi)
    q = np.asarray(posterior.ppf(np.concatenate([1.0 - np.asarray(levels), levels])), float)
    m = len(levels)
    return {
        "central": central,
        "lower": [bool(theta >= x) for x in q[:m]],
        "upper": [bool(theta <= x) for x in q[m:]],
    }


def pit_coverage(u: np.ndarray, levels: tuple[float, ...] = LEVELS) -> dict[str, np.ndarray]:
    """Coverage indicators from PIT values u = F(theta) of continuous posteriors.

    theta in the central interval iff (1-c)/2 <= u <= (1+c)/2; above the lower bound iff
    u >= 1 - c; below the upper bound iff u <= c. Returns arrays of shape (len(levels), N).
    """
    x = np.asarray(u, dtype=float)[None, :]
    c = np.asarray(levels, dtype=float)[:, None]
    return {
        "central": ((1.0 - c) / 2.0 <= x) & (x <= (1.0 + c) / 2.0),
        "lower": x >= 1.0 - c,
        "upper": x <= c,
    }


def coverage_table(
    indicators: dict[str, np.ndarray], alpha_per_row: float, levels: tuple[float, ...] = LEVELS
) -> list[CoverageRow]:
    """Rows for every kind in ``indicators`` (arrays of shape (len(levels), N)) and level."""
    rows = []
    for kind, ind in indicators.items():
        arr = np.asarray(ind, dtype=bool)
        for i, c in enumerate(levels):
            rows.append(coverage_row(kind, c, arr[i], alpha_per_row))
    return rows


def stack_indicators(per_replication: list[dict[str, list[bool]]]) -> dict[str, np.ndarray]:
    """Turn a list of :func:`posterior_coverage` dicts into arrays of shape (levels, N)."""
    return {k: np.array([r[k] for r in per_replication], dtype=bool).T for k in KINDS}


@dataclass(frozen=True)
class CoverageTable:
    """Coverage rows of one check, a typed part of ``CheckResult.details`` (the report reads
    the rows' attributes; :meth:`to_json` is the JSON table, each row with its band,
    ``outside_band`` flag and excursion)."""

    rows: tuple[CoverageRow, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[CoverageRow]:
        return iter(self.rows)

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                **asdict(r),
                "band_low": r.band_low,
                "band_high": r.band_high,
                "outside_band": r.outside_band,
                "excursion": r.excursion,
            }
            for r in self.rows
        ]
