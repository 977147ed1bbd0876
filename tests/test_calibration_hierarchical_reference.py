"""The quadrature full-Bayes posterior of kappa_own against brute-force importance sampling.

The importance sampler uses none of the derivation: kappa_m from the (standard conjugate)
market posterior, kappa_own from its conditional PRIOR Gamma(a0, a0 / kappa_m), weights the
raw own-data likelihood kappa_own^n exp(-kappa_own S). Tolerances are its Monte Carlo error
(effective sample size ESS = 1 / sum w^2): 4.5 sd per compared number.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from validation.calibration.hierarchical_reference import marginal_own_posterior

A, B, A0 = 5.0, 5.0 / 2500.0, 5.0
QUANTILES = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
Z = 4.5


def _data(seed: int, n_own: int, n_market: int):
    rng = np.random.default_rng(seed)
    km = rng.gamma(A, 1 / B)
    ko = rng.gamma(A0, km / A0)
    return rng.exponential(1 / ko, n_own), rng.exponential(1 / km, n_market)


def _importance_sample(d, x, seed: int, size: int = 1_000_000):
    rng = np.random.default_rng(seed)
    km = rng.gamma(A + x.size, 1 / (B + x.sum()), size)
    ko = rng.gamma(A0, km / A0)
    logw = d.size * np.log(ko) - ko * d.sum()
    w = np.exp(logw - logw.max())
    w /= w.sum()
    return ko, w, 1.0 / np.sum(w * w)


def _max_discrepancy(post, d, x, seed: int) -> float:
    """Largest |quadrature - IS| over CDF at 5 quantiles and the mean, in IS sd units."""
    ko, w, ess = _importance_sample(d, x, seed)
    q = post.ppf(QUANTILES)
    is_cdf = np.array([np.sum(w * (ko <= v)) for v in q])
    z_cdf = np.abs(is_cdf - QUANTILES) / np.sqrt(QUANTILES * (1 - QUANTILES) / ess)
    is_mean = np.sum(w * ko)
    is_sd = np.sqrt(np.sum(w * (ko - is_mean) ** 2))
    z_mean = abs(is_mean - post.mean) / (is_sd / np.sqrt(ess))
    return float(max(z_cdf.max(), z_mean))


@pytest.mark.parametrize(
    ("seed", "n_own", "n_market"),
    [(1, 5, 30), (2, 40, 5), (3, 3, 2000), (4, 300, 20), (5, 1, 20)],
)
def test_quadrature_matches_importance_sampling(seed: int, n_own: int, n_market: int) -> None:
    d, x = _data(seed, n_own, n_market)
    post = marginal_own_posterior(d, x, A0, A, B)
    assert post.weights.sum() == pytest.approx(1.0, rel=1e-12)
    assert _max_discrepancy(post, d, x, seed + 100) < Z


def test_ignoring_what_own_fills_say_about_kappa_market_fails_the_comparison() -> None:
    """Known-bad: mixing over the market posterior alone (p(kappa_m | market) instead of
    p(kappa_m | market, own)) is detectably wrong when own fills are many and trades few."""
    d, x = _data(2, 40, 5)
    good = marginal_own_posterior(d, x, A0, A, B)
    km = good.kappa_market_nodes
    naive_w = stats.gamma.pdf(km, A + x.size, scale=1 / (B + x.sum())) * km  # log-grid Jacobian
    bad = dataclasses.replace(good, weights=naive_w / naive_w.sum())
    assert _max_discrepancy(bad, d, x, 102) > 2 * Z


def test_no_own_fills_gives_the_predictive_mean() -> None:
    """n = 0: E[kappa_own | market] = E[kappa_m | market] = (A + M) / (B + sum x)."""
    _, x = _data(6, 0, 30)
    post = marginal_own_posterior(np.zeros(0), x, A0, A, B)
    assert post.mean == pytest.approx((A + x.size) / (B + x.sum()), rel=1e-10)
    assert post.kappa_market_mean == pytest.approx((A + x.size) / (B + x.sum()), rel=1e-10)


def test_huge_market_sample_reduces_to_the_pinned_gamma() -> None:
    """kappa_m known to 0.1% (M = 1e6): the mixture is the pinned Gamma(a0 + n, a0/k + S)."""
    rng = np.random.default_rng(7)
    km = 2000.0
    x = rng.exponential(1 / km, 1_000_000)
    d = rng.exponential(1 / 1500.0, 12)
    post = marginal_own_posterior(d, x, A0, A, B)
    k_hat = (A + x.size) / (B + x.sum())
    pinned = stats.gamma(A0 + d.size, scale=1 / (A0 / k_hat + d.sum()))
    grid = pinned.ppf([0.01, 0.3, 0.7, 0.99])
    assert np.max(np.abs(post.cdf(grid) - pinned.cdf(grid))) < 1e-3


def test_ppf_inverts_cdf_and_interval_is_equal_tailed() -> None:
    d, x = _data(8, 10, 25)
    post = marginal_own_posterior(d, x, A0, A, B)
    q = np.array([1e-4, 0.025, 0.5, 0.975, 1 - 1e-4])
    assert post.cdf(post.ppf(q)) == pytest.approx(q, abs=1e-10)
    lo, hi = post.interval(0.9)
    assert (post.cdf(lo), post.cdf(hi)) == pytest.approx((0.05, 0.95), abs=1e-10)
    with pytest.raises(ValueError):
        post.interval(1.0)
    assert post.sd > 0 and post.var == pytest.approx(post.sd**2)
