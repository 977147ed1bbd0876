"""The one failure-rate measurer: Clopper-Pearson against Beta quantiles, INCONCLUSIVE policy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from validation.failure_rate import FailureRate, clopper_pearson, measure_failure_rate
from validation.results import CheckResult, Status


def _beta_interval(k: int, n: int, level: float) -> tuple[float, float]:
    """Clopper-Pearson from its definition: Beta quantiles (0 at k = 0, 1 at k = n)."""
    a = 1.0 - level
    lo = 0.0 if k == 0 else stats.beta.ppf(a / 2, k, n - k + 1)
    hi = 1.0 if k == n else stats.beta.ppf(1 - a / 2, k + 1, n - k)
    return float(lo), float(hi)


@pytest.mark.parametrize(
    ("k", "n", "level"),
    [(0, 100, 0.95), (1, 100, 0.95), (99, 100, 0.95), (100, 100, 0.95), (37, 80, 0.95),
     (930, 1000, 0.99), (3, 7, 0.8), (1, 1, 0.95)],
)  # fmt: skip
def test_clopper_pearson_matches_beta_quantiles(k: int, n: int, level: float) -> None:
    assert clopper_pearson(k, n, level) == pytest.approx(_beta_interval(k, n, level), abs=1e-9)


def test_clopper_pearson_covers_at_least_its_level() -> None:
    """Exact coverage sum_k P(k) 1{p in CI(k)} >= level for several true p (n = 40)."""
    n = 40
    intervals = [clopper_pearson(k, n) for k in range(n + 1)]
    for p in (0.01, 0.1, 0.37, 0.5, 0.9):
        pmf = stats.binom.pmf(np.arange(n + 1), n, p)
        covered = sum(w for w, (lo, hi) in zip(pmf, intervals, strict=True) if lo <= p <= hi)
        assert covered >= 0.95 - 1e-12, (p, covered)


@pytest.mark.parametrize(("k", "n", "level"), [(-1, 5, 0.95), (6, 5, 0.95), (0, 0, 0.95),
                                               (1, 5, 1.0), (1, 5, 0.0)])  # fmt: skip
def test_clopper_pearson_rejects_bad_input(k: int, n: int, level: float) -> None:
    with pytest.raises(ValueError, match=r"k, n|level"):
        clopper_pearson(k, n, level)


def test_inconclusive_runs_are_reported_and_left_out_of_the_denominator() -> None:
    statuses = [Status.FAIL] * 2 + [Status.PASS] * 5 + [Status.INCONCLUSIVE] * 3
    r = FailureRate.of(statuses)
    assert (r.failures, r.inconclusive, r.runs, r.decided) == (2, 3, 10, 7)
    assert r.rate == 2 / 7
    assert (r.ci_low, r.ci_high) == pytest.approx(_beta_interval(2, 7, 0.95), abs=1e-9)


def test_all_inconclusive_gives_nan_not_zero() -> None:
    r = FailureRate.of([Status.INCONCLUSIVE] * 4)
    assert r.decided == 0 and r.inconclusive == 4
    assert math.isnan(r.rate) and math.isnan(r.ci_low) and math.isnan(r.ci_high)


def test_from_counts_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="failures"):
        FailureRate.from_counts(5, 6, inconclusive=2)
    with pytest.raises(ValueError, match="inconclusive"):
        FailureRate.from_counts(0, 6, inconclusive=-1)


def test_measure_failure_rate_over_seeds() -> None:
    verdicts = {3: Status.FAIL, 5: Status.INCONCLUSIVE, 6: Status.FAIL}

    def run(candidate: object, seed: int) -> CheckResult:
        status = verdicts.get(seed, Status.PASS)
        return CheckResult("fake.check", status, statistic=float(seed), threshold=4.5, seed=seed)

    def my_candidate() -> None: ...

    calls: list[tuple[int, int]] = []
    m = measure_failure_rate(run, my_candidate, 6, seed0=2, progress=lambda *a: calls.append(a))
    assert (m.check, m.candidate, m.seed0, m.n_seeds) == ("fake.check", "my_candidate", 2, 6)
    assert (m.failures, m.inconclusive, m.decided, m.failed_seeds) == (2, 1, 5, (3, 6))
    assert m.rate == 0.4
    assert (m.ci_low, m.ci_high) == pytest.approx(_beta_interval(2, 5, 0.95), abs=1e-9)
    # the statistic range is over decided runs: seed 5 (inconclusive) is left out
    assert (m.min_statistic, m.max_statistic, m.threshold) == (2.0, 7.0, 4.5)
    assert calls == [(i, 6) for i in range(1, 7)]
    with pytest.raises(ValueError, match="n_seeds"):
        measure_failure_rate(run, my_candidate, 0)
