"""Prequential audit: predictives against closed forms and Monte Carlo, the PIT audit, the
Diebold-Mariano interval, the sigma reference against simulated truth, and the simulated
audit passing the model and failing the known-bad variants."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from validation.prequential.pit_audit import pit_audit
from validation.prequential.predictive import lomax_scores, mixture_scores
from validation.prequential.scores import diebold_mariano
from validation.prequential.sigma_reference import realized_variances
from validation.prequential.simulated import rejection_rates, sim_audit


def test_lomax_is_the_gamma_exponential_predictive():
    a, b = 7.0, 7.0 / 2500.0
    d = np.array([1e-5, 2e-4, 1e-3, 5e-3])
    s = lomax_scores(d, d, np.full(4, a), np.full(4, b), np.random.default_rng(0))
    closed_form = np.log(a) + a * np.log(b) - (a + 1) * np.log(b + d)
    np.testing.assert_allclose(-s.log_score, closed_form, rtol=1e-12)
    rng = np.random.default_rng(1)
    draws = rng.exponential(1.0, 200_000) / rng.gamma(a, 1.0 / b, 200_000)
    np.testing.assert_allclose(s.pit, [np.mean(draws <= x) for x in d], atol=4e-3)
    law = stats.lomax(c=a, scale=b)
    for x, crps in zip(d, s.crps, strict=True):
        below = integrate.quad(lambda y: law.cdf(y) ** 2, 0.0, x)[0]
        above = integrate.quad(lambda y: law.sf(y) ** 2, x, np.inf)[0]
        assert crps == pytest.approx(below + above, rel=1e-6)


def test_mixture_cells_match_cdf_differences_and_stay_finite_in_the_tails():
    sd_d, sd_j, pi = 1e-4, 5e-4, 0.1
    lo, hi = np.array([-2e-4, 0.0, 3e-4, 5e-2]), np.array([-1e-4, 5e-5, 3e-4, 5.1e-2])
    s = mixture_scores(
        lo, hi, np.full(4, sd_d), np.full(4, sd_j), np.full(4, pi), np.random.default_rng(0)
    )

    def cdf(x):
        return (1 - pi) * stats.norm.cdf(x, scale=sd_d) + pi * stats.norm.cdf(x, scale=sd_j)

    np.testing.assert_allclose(-s.log_score[:2], np.log(cdf(hi[:2]) - cdf(lo[:2])), rtol=1e-10)
    density = (1 - pi) * stats.norm.pdf(3e-4, scale=sd_d) + pi * stats.norm.pdf(3e-4, scale=sd_j)
    assert -s.log_score[2] == pytest.approx(np.log(density), rel=1e-12)
    assert np.isfinite(s.log_score[3]) and s.log_score[3] > 1000  # 100 jump sd out
    assert lo[0] <= 0 and cdf(lo[0]) <= s.pit[0] <= cdf(hi[0])


def test_randomised_pit_is_uniform_for_discretised_draws():
    rng = np.random.default_rng(2)
    grid = 5e-5
    x = np.round(rng.normal(0, 1e-4, 20_000) / grid) * grid
    s = mixture_scores(
        x - grid / 2,
        x + grid / 2,
        np.full(x.size, 1e-4),
        np.full(x.size, 1e-4),
        np.zeros(x.size),
        rng,
    )
    assert stats.kstest(s.pit, "uniform").pvalue > 1e-3
    assert stats.kstest(stats.norm.cdf(x, scale=1e-4), "uniform").pvalue < 1e-6


def test_pit_audit_accepts_uniform_and_rejects_shift_and_dependence():
    rng = np.random.default_rng(3)
    t = np.arange(6000) * 1000
    assert not pit_audit(t, rng.random(6000)).rejected
    assert pit_audit(t, rng.beta(1.3, 1.0, 6000)).rejected_blocks
    z = np.zeros(6000)
    for i in range(1, 6000):
        z[i] = 0.3 * z[i - 1] + rng.normal()
    dependent = pit_audit(t, stats.norm.cdf(z / np.sqrt(1 / (1 - 0.09))))
    assert dependent.dependence_rejected


def test_diebold_mariano_hac_interval_widens_under_dependence():
    rng = np.random.default_rng(4)
    e = np.zeros(4000)
    for i in range(1, 4000):
        e[i] = 0.8 * e[i - 1] + rng.normal()
    dm = diebold_mariano(np.zeros(4000), e)
    iid_se = e.std(ddof=1) / np.sqrt(e.size)
    assert dm.se > 2.0 * iid_se  # long-run sd of AR(0.8) is 3x the marginal's share
    assert dm.ci_low < 0 < dm.ci_high


def test_tsrv_removes_the_noise_bias_of_tick_rv():
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 3600.0, 0.5)
    tsrv, rv1 = [], []
    for _ in range(24):  # independent hours; TSRV (K = n^(2/3)) has about 25% sd per hour
        x = np.cumsum(rng.normal(0.0, 1e-4 * np.sqrt(0.5), t.size)) + rng.normal(0, 2e-5, t.size)
        rv = realized_variances(t, x, 0.0, 3599.0, (1,))
        tsrv.append(rv["tsrv"])
        rv1.append(rv["rv_1s"])
    assert np.mean(tsrv) == pytest.approx(1e-8, rel=0.15)
    assert np.mean(rv1) == pytest.approx(1.08e-8, rel=0.03)  # + noise 2 x 4e-10 per 1 s return


def test_simulated_audit_passes_the_model_and_catches_the_bad_variants():
    correct, kappa_2x, vwap = (sim_audit(7, v) for v in ("correct", "kappa_2x", "vwap_sigma"))
    assert not correct["trade_distance"]["rejected"] and not correct["bucket_return"]["rejected"]
    assert kappa_2x["trade_distance"]["rejected"] and not kappa_2x["bucket_return"]["rejected"]
    assert vwap["bucket_return"]["rejected"] and not vwap["trade_distance"]["rejected"]


@pytest.mark.audit
def test_simulated_false_alarm_and_detection_rates():
    correct = rejection_rates(range(100), "correct")
    assert all(v["rejected"] <= 3 for v in correct.values())  # stated 0.001 per quantity
    bad = rejection_rates(range(1000, 1020), "kappa_2x")["trade_distance"]
    assert bad["rejected"] == 20
    bad = rejection_rates(range(1000, 1020), "vwap_sigma")["bucket_return"]
    assert bad["rejected"] >= 19
