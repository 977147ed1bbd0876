"""Exact checks of the EWMA and covariance candidates, their references, and known-bad variants.

The known-bad variants are defined here, minimal and independent of the catalogue:
an EWMA that assumes 1 s between observations, the design's HybridEWMA (value decayed toward
zero, then a fixed-alpha blend), and the design's zero-start E[xy] - E[x]E[y] covariance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from validation.agreement import exact
from validation.agreement.audit import measure_failure_rate
from validation.candidates.covariance import parameter_covariance
from validation.candidates.ewma import hybrid_ewma
from validation.families import CovariancePath
from validation.results import Status
from validation.scenarios import IrregularSeries, ParameterPath, simulate_irregular_series

SPECS = {spec.name: spec for spec in exact.CHECKS}
SEEDS = [0, 1, 2]


# ---------------------------------------------------------------- known-bad variants


def ewma_one_second(series: IrregularSeries, h: float, time_half_life_ms: float) -> np.ndarray:
    """Hybrid EWMA whose time decay assumes a 1000 ms gap between every two observations."""
    decay = 2.0 ** (-1.0 / h) * 2.0 ** (-1000.0 / time_half_life_ms)
    out, value, weight = np.empty(len(series.values)), 0.0, 0.0
    for i, x in enumerate(series.values):
        weight = decay * weight + 1.0
        value += (x - value) / weight
        out[i] = value
    return out


def ewma_design(series: IrregularSeries, h: float, time_half_life_ms: float) -> np.ndarray:
    """The design's HybridEWMA: value *= 2^(-dt/H), then value = a x + (1 - a) value."""
    a = 1.0 - 2.0 ** (-1.0 / h)
    out, value, last = np.empty(len(series.values)), 0.0, 0
    for i, (x, t) in enumerate(zip(series.values, series.timestamps_ms, strict=True)):
        value = a * x + (1.0 - a) * value * 2.0 ** (-(int(t) - last) / time_half_life_ms)
        last = int(t)
        out[i] = value
    return out


def covariance_design(path: ParameterPath, h: float) -> CovariancePath:
    """The design's ParameterCovariance: raw-moment EWMAs from 0, cov = E[xy] - E[x]E[y]."""
    a = 1.0 - 2.0 ** (-1.0 / h)
    mk = ms = mkk = mss = mks = 0.0
    n = len(path.kappa)
    cov, vk, vs = np.empty(n), np.empty(n), np.empty(n)
    for i, (k, s) in enumerate(zip(path.kappa, path.sigma, strict=True)):
        mk, ms = a * k + (1 - a) * mk, a * s + (1 - a) * ms
        mkk, mss, mks = (
            a * k * k + (1 - a) * mkk,
            a * s * s + (1 - a) * mss,
            a * k * s + (1 - a) * mks,
        )
        cov[i], vk[i], vs[i] = mks - mk * ms, mkk - mk * mk, mss - ms * ms
    return CovariancePath(cov, vk, vs)


# ---------------------------------------------------------------- the references themselves


def test_explicit_ewma_matches_a_plain_loop_of_weights():
    rng = np.random.default_rng(7)
    s = simulate_irregular_series(rng, 25)
    h, big_h = 3.0, 700.0
    alpha = 1.0 - 2.0 ** (-1.0 / h)
    expected = []
    for k in range(25):
        w = [
            (1.0 - alpha) ** (k - i)
            * 2.0 ** (-(int(s.timestamps_ms[k]) - int(s.timestamps_ms[i])) / big_h)
            for i in range(k + 1)
        ]
        expected.append(
            math.fsum(wi * x for wi, x in zip(w, s.values, strict=False)) / math.fsum(w)
        )
    got = exact.explicit_hybrid_ewma(s.values, s.timestamps_ms, h, big_h)
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_explicit_covariance_matches_the_weighted_moment_definition():
    rng = np.random.default_rng(8)
    x, y = rng.lognormal(7.8, 0.2, 30), rng.lognormal(-9.2, 0.2, 30)
    ref = exact.explicit_weighted_covariances(x, y, 5.0)
    d = 2.0 ** (-1.0 / 5.0)
    for k in (1, 2, 17, 30):
        w = d ** np.arange(k - 1, -1, -1.0)
        mx, my = np.sum(w * x[:k]) / w.sum(), np.sum(w * y[:k]) / w.sum()
        assert ref.cov[k - 1] == pytest.approx(
            np.sum(w * (x[:k] - mx) * (y[:k] - my)) / w.sum(), rel=1e-12, abs=0
        )
        assert ref.var_kappa[k - 1] == pytest.approx(
            np.sum(w * (x[:k] - mx) ** 2) / w.sum(), rel=1e-12, abs=0
        )
        assert ref.var_sigma[k - 1] == pytest.approx(
            np.sum(w * (y[:k] - my) ** 2) / w.sum(), rel=1e-12, abs=0
        )


# ---------------------------------------------------------------- correct candidates pass


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("exact.ewma_weights", hybrid_ewma),
        ("exact.ewma_fixed_point", hybrid_ewma),
        ("exact.covariance_weights", parameter_covariance),
    ],
)
def test_correct_candidates_pass(name, candidate, seed):
    result = SPECS[name].run(candidate, seed)
    assert result.status is Status.PASS, result.details
    assert result.statistic <= result.threshold
    assert result.seed == seed and result.false_alarm_rate == 0.0
    assert result.to_dict()["status"] == "pass"


# ---------------------------------------------------------------- known-bad variants fail


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("exact.ewma_weights", ewma_one_second),
        ("exact.ewma_weights", ewma_design),
        ("exact.ewma_fixed_point", ewma_design),
        ("exact.covariance_weights", covariance_design),
    ],
)
def test_known_bad_variants_fail(name, candidate, seed):
    result = SPECS[name].run(candidate, seed)
    assert result.status is Status.FAIL
    assert result.statistic > 1e3 * result.threshold  # not a borderline miss


def test_one_second_ewma_is_exact_when_gaps_really_are_one_second():
    """The 1-s variant fails because of the irregular gaps, not because of its arithmetic."""
    s = IrregularSeries(np.random.default_rng(3).normal(size=50), np.arange(50) * 1000)
    np.testing.assert_allclose(
        ewma_one_second(s, 20.0, 2000.0),
        exact.explicit_hybrid_ewma(s.values, s.timestamps_ms, 20.0, 2000.0),
        rtol=1e-12,
    )


def test_design_ewma_decays_a_constant_toward_zero():
    result = SPECS["exact.ewma_fixed_point"].run(ewma_design, 0)
    c = result.details["constant"]
    assert abs(result.details["candidate_at_worst"]) < abs(c)


def test_negative_variance_fails_even_within_tolerance():
    def tiny_negative(path, h):
        out = parameter_covariance(path, h)
        var_s = out.var_sigma.copy()
        var_s[0] = -1e-300  # exact value is 0: the relative error stays far below 1e-9
        return CovariancePath(out.cov, out.var_kappa, var_s)

    result = SPECS["exact.covariance_weights"].run(tiny_negative, 0)
    assert result.statistic <= result.threshold
    assert result.details["negative_variances"] == 1
    assert result.status is Status.FAIL


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("exact.ewma_weights", lambda s, h, t: np.ones(3)),
        ("exact.ewma_fixed_point", lambda s, h, t: hybrid_ewma(s, h, t)[:-1]),
        (
            "exact.ewma_weights",
            lambda s, h, t: np.where(np.arange(len(s.values)) == 5, np.nan, hybrid_ewma(s, h, t)),
        ),
        ("exact.covariance_weights", lambda p, h: "not a path"),
    ],
)
def test_malformed_output_fails(name, bad):
    assert SPECS[name].run(bad, 0).status is Status.FAIL


def test_candidate_that_raises_fails_with_the_error_recorded():
    def broken(*args):
        raise ValueError("boom")

    for spec in exact.CHECKS:
        result = spec.run(broken, 0)
        assert result.status is Status.FAIL
        assert "boom" in result.details["error"]


# ---------------------------------------------------------------- measured false-alarm rates


@pytest.mark.audit
@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("exact.ewma_weights", hybrid_ewma),
        ("exact.ewma_fixed_point", hybrid_ewma),
        ("exact.covariance_weights", parameter_covariance),
    ],
)
def test_measured_false_alarm_rate(name, candidate):
    m = measure_failure_rate(SPECS[name], candidate, n_seeds=200, seed0=10_000)
    assert m.failures == 0, m
    assert m.max_statistic < 1e-3 * m.threshold  # rounding sits far below the tolerance
