"""The arrival-intensity family: candidates, the scenario law, the check's null distribution,
its false-alarm rate and its power on the catalogue's EWMA(1/dt) flaw.

References are built here from the raw durations: explicit per-step weight vectors, a recursive
filter (scipy.signal.lfilter) for Monte Carlo, scipy.stats distributions for the scenario law.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal, stats

from online.errors import InvalidInputError
from validation.agreement import intensity as ic
from validation.candidates.intensity import bucket_end_times_ms, volume_clock_intensity
from validation.catalogue import CATALOGUE
from validation.catalogue.intensity_bugs import ewma_of_reciprocal_intensity
from validation.results import Status
from validation.scenarios import BucketDurations, simulate_bucket_durations

H = 50.0  # production intensity half-life, buckets


def _explicit_ewma_path(x: np.ndarray, h: float) -> np.ndarray:
    """EWMA after each input, started from the first: for k >= 1 the weights are
    (1 - a)^k on x_0 and a (1 - a)^(k - i) on x_i, a = 1 - 2^(-1/h), built per step."""
    a = 1.0 - 0.5 ** (1.0 / h)
    out = np.empty(len(x))
    for k in range(len(x)):
        w = a * (1.0 - a) ** (k - np.arange(k + 1.0))
        w[0] = (1.0 - a) ** k
        out[k] = np.dot(w, x[: k + 1])
    return out


def _durations(seed: int, n: int = 600, rate: float = 1.3) -> np.ndarray:
    return simulate_bucket_durations(np.random.default_rng(seed), n, rate).durations_ms


# --------------------------------------------------------------------------- candidates


def test_volume_clock_candidate_is_reciprocal_of_explicit_weighted_mean_duration():
    d = _durations(1)
    got = volume_clock_intensity(d, H)
    ref = 1000.0 / _explicit_ewma_path(d.astype(float), H)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_biased_candidate_is_explicit_ewma_of_reciprocal_durations():
    d = _durations(2)
    d[7] = 0  # two buckets in the same ms: the 1 ms floor applies
    got = ewma_of_reciprocal_intensity(d, H)
    ref = _explicit_ewma_path(1000.0 / np.maximum(d, 1.0), H)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_volume_clock_candidate_reports_nan_while_the_clock_has_no_intensity():
    got = volume_clock_intensity(np.array([0, 0, 500, 250]), H)
    assert np.isnan(got[0]) and np.isnan(got[1])
    a = 1.0 - 0.5 ** (1.0 / H)
    ewma2 = (1 - a) ** 2 * 0 + a * (1 - a) * 0 + a * 500  # weights on 0, 0, 500
    assert got[2] == pytest.approx(1000.0 / ewma2, rel=1e-12)


@pytest.mark.parametrize(
    "bad",
    [np.array([1, -1]), np.array([1.0, 2.5]), np.array([1.0, math.nan]), np.ones((2, 2)), "x"],
)
def test_durations_must_be_whole_non_negative_ms(bad):
    with pytest.raises(InvalidInputError) as err:
        bucket_end_times_ms(bad)
    assert err.value.field == "durations_ms"


def test_bucket_end_times_start_at_zero():
    np.testing.assert_array_equal(bucket_end_times_ms(np.array([3, 0, 4])), [0, 3, 3, 7])


# --------------------------------------------------------------------------- scenario law


def _ceil_exponential_pmf(rate_per_s: float, kmax: int) -> np.ndarray:
    """P(ceil(X) = k), X ~ Exp(rate_per_s / 1000 per ms), k = 1..kmax, and the tail in the last."""
    edges = stats.expon(scale=1000.0 / rate_per_s).cdf(np.arange(kmax + 1.0))
    p = np.diff(edges)
    p[-1] += 1.0 - edges[-1]
    return p


def _gof_pvalue(d: np.ndarray, rate_per_s: float, kmax: int) -> float:
    observed = np.bincount(np.minimum(d, kmax), minlength=kmax + 1)[1:]
    expected = len(d) * _ceil_exponential_pmf(rate_per_s, kmax)
    return float(stats.chisquare(observed, expected).pvalue)


def test_scenario_durations_are_rounded_up_exponentials():
    rate, n, kmax = 4.0, 200_000, 800  # mean 250 ms
    data = simulate_bucket_durations(np.random.default_rng(3), n, rate)
    assert data.durations_ms.dtype == np.int64 and data.durations_ms.min() >= 1
    assert _gof_pvalue(data.durations_ms, rate, kmax) > 1e-3
    # known-bad law: round to nearest (and floor at 1) instead of rounding up
    rint = np.maximum(np.rint(np.random.default_rng(3).exponential(250.0, n)), 1).astype(int)
    assert _gof_pvalue(rint, rate, kmax) < 1e-6


def test_scenario_exact_moments_are_those_of_the_geometric_law():
    data = BucketDurations(np.ones(1, dtype=np.int64), 2.5)
    geom = stats.geom(1.0 - math.exp(-2.5 / 1000.0))  # support {1, 2, ...}
    assert data.mean_ms == pytest.approx(geom.mean(), rel=1e-12)
    assert data.var_ms2 == pytest.approx(geom.var(), rel=1e-9)


# --------------------------------------------------------------------------- null distribution


def test_weight_matrix_rows_are_the_explicit_ewma_weights():
    n = 40
    w = ic.ewma_weight_matrix(n, 7.0)
    x = np.random.default_rng(4).normal(size=n)
    np.testing.assert_allclose(w @ x, _explicit_ewma_path(x, 7.0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)


def test_null_mean_and_sd_of_the_statistic_by_monte_carlo():
    """S over 2000 simulated paths (EWMA by a recursive filter, another algorithm) has mean 0
    and the sd sqrt(q sum c_i^2) the check uses; the sd of ONE EWMA value (known-bad null,
    sqrt(q a / (2 - a))) is far off."""
    reps, n, b, rate = 2000, ic.N_BUCKETS, ic.BURN_IN, 1.7
    rng = np.random.default_rng(5)
    data = simulate_bucket_durations(rng, 1, rate)
    d = rng.geometric(-math.expm1(-rate / 1000.0), size=(reps, n)).astype(float)
    a = 1.0 - 0.5 ** (1.0 / H)
    zi = (1.0 - a) * d[:, :1]  # state so that the first output is d_0
    ewma, _ = signal.lfilter([a], [1.0, -(1.0 - a)], d, axis=1, zi=zi)
    s = ewma[:, b:].mean(axis=1) / data.mean_ms - 1.0
    sd, skew = ic.null_moments(data, ic.time_average_weights(n, H, b))
    assert abs(s.mean()) / (sd / math.sqrt(reps)) < 4.0
    # sd of a sample sd from 2000 near-normal draws is about 1/sqrt(2 * 2000) = 1.6%
    assert s.std(ddof=1) / sd == pytest.approx(1.0, abs=4.0 / math.sqrt(2 * reps))
    assert 0.0 < skew < 0.1
    single = math.sqrt(data.q * a / (2.0 - a))  # sd of one EWMA, not of the time average
    assert s.std(ddof=1) / single < 0.5


# --------------------------------------------------------------------------- the check


SEEDS = range(5)


def test_check_passes_the_production_candidate():
    for seed in SEEDS:
        res = ic.check_arrival_intensity(volume_clock_intensity, seed)
        assert res.status is Status.PASS, (seed, res.details)
        lo, hi = ic.RATE_RANGE_PER_S
        assert lo <= res.details["rate_per_s"] <= hi
        assert res.false_alarm_rate == 0.001
        assert res.threshold == pytest.approx(stats.norm.ppf(1 - 0.0005), rel=1e-12)


def test_check_fails_the_ewma_of_reciprocal_durations():
    for seed in SEEDS:
        res = ic.check_arrival_intensity(ewma_of_reciprocal_intensity, seed)
        assert res.status is Status.FAIL
        assert math.isfinite(res.statistic) and res.details["z"] < -20
        # intensity several times the truth
        ratio = res.details["time_average_intensity_per_s"] / res.details["true_intensity_per_s"]
        assert ratio > 4.0


@pytest.mark.parametrize("factor", [1.15, 0.87])
def test_check_catches_a_moderate_bias_in_either_direction(factor):
    def scaled(durations_ms, half_life):
        return factor * volume_clock_intensity(durations_ms, half_life)

    for seed in range(3):
        assert ic.check_arrival_intensity(scaled, seed).status is Status.FAIL


@pytest.mark.parametrize(
    "output",
    [
        lambda d, h: np.ones(len(d) - 1),
        lambda d, h: np.full(len(d), np.nan),
        lambda d, h: -np.ones(len(d)),
        lambda d, h: 1 / 0,
    ],
    ids=["short", "nan", "negative", "raises"],
)
def test_unusable_output_fails_with_infinite_statistic(output):
    res = ic.check_arrival_intensity(output, 0)
    assert res.status is Status.FAIL and res.statistic == math.inf


def test_catalogue_entry_is_registered():
    (entry,) = [e for e in CATALOGUE if e.family == "intensity"]
    assert entry.caught_by == ic.NAME and entry.source == "production"
    assert entry.candidate is ewma_of_reciprocal_intensity


# --------------------------------------------------------------------------- audit


@pytest.mark.audit
def test_audit_false_alarm_rate_and_null_calibration():
    """200 seeds on the production candidate: at most 2 failures (P(>= 3) = 0.001 at the stated
    rate 0.001) and z consistent with N(0, 1) by KS; the same KS rejects z computed with the sd
    of a single EWMA value instead of the time average's (a known-bad null)."""
    results = [ic.check_arrival_intensity(volume_clock_intensity, 50_000 + k) for k in range(200)]
    assert sum(r.status is Status.FAIL for r in results) <= 2
    z = np.array([r.details["z"] for r in results])
    assert stats.kstest(z, "norm").pvalue > 1e-3
    a = 1.0 - 0.5 ** (1.0 / H)
    naive = np.array(
        [
            r.details["mean_duration_ratio_minus_1"]
            / math.sqrt(math.exp(-r.details["rate_per_s"] / 1000.0) * a / (2.0 - a))
            for r in results
        ]
    )
    assert stats.kstest(naive, "norm").pvalue < 1e-3


@pytest.mark.audit
def test_audit_detection_of_ewma_of_reciprocal_on_catalogue_seeds():
    fails = [
        ic.check_arrival_intensity(ewma_of_reciprocal_intensity, 1000 + k).status is Status.FAIL
        for k in range(100)
    ]
    assert sum(fails) == 100
