"""The log-likelihood test quantity of the kappa SBC (validation.calibration.loglik_pit)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from online.gamma_posterior import GammaPosterior
from validation.calibration.loglik_pit import (
    QUANTITIES,
    level_set_interval,
    level_set_pit,
    other_root,
    run_kappa_loglik_pit,
    verdict,
)
from validation.calibration.sbc_exact import ExactSbcSettings, run_kappa_pit
from validation.candidates.kappa import conjugate_kappa
from validation.catalogue.sbc_bugs import latest_half_kappa
from validation.results import Status
from validation.scenarios import GammaPrior, simulate_kappa


@pytest.mark.parametrize("x0", [0.05, 0.5, 0.999, 1.0, 1.7, 6.0])
def test_other_root_solves_the_level_equation_on_the_other_side(x0):
    x1 = float(other_root(x0))
    assert math.log(x1) - x1 == pytest.approx(math.log(x0) - x0, abs=1e-10)
    assert (x1 - 1.0) * (x0 - 1.0) <= 0.0


def loglik_pit(post, d, kappa, quantity="loglik"):
    c, r = QUANTITIES[quantity](np.array(float(d.size)), np.array(d.sum()), GammaPrior())
    return level_set_pit(post, kappa, float(c), float(r))


@pytest.mark.parametrize("quantity", sorted(QUANTITIES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_level_set_pit_equals_a_monte_carlo_reference(seed, quantity):
    """u_g against the fraction of 400 000 posterior draws whose g is lower, g written out
    here from its definition (log-likelihood; log density of Gamma(a0 + n, b0 + S))."""
    rng = np.random.default_rng(seed)
    data = simulate_kappa(rng, 2500.0, 40)
    d = data.distances
    post = GammaPosterior(8.0 + 40, 8.0 / 3000 + d.sum())  # any Gamma will do
    kappa = post.ppf(rng.uniform())
    draws = stats.gamma.rvs(post.alpha, scale=1.0 / post.beta, size=400_000, random_state=rng)
    prior = GammaPrior()

    def g(k):
        if quantity == "loglik":
            return d.size * np.log(k) - k * d.sum()
        return stats.gamma.logpdf(k, prior.alpha + d.size, scale=1.0 / (prior.beta + d.sum()))

    reference = float(np.mean(g(draws) <= g(kappa)))
    assert loglik_pit(post, d, kappa, quantity) == pytest.approx(reference, abs=0.003)


def test_level_set_interval_is_vectorised_and_equal_to_the_scalar_call():
    kappa = np.array([100.0, 2500.0, 9000.0])
    c, r = np.array([3.0, 40.0, 400.0]), np.array([0.01, 0.02, 0.05])
    lo, hi = level_set_interval(kappa, c, r)
    for i in range(3):
        assert (lo[i], hi[i]) == level_set_interval(kappa[i], c[i], r[i])
        assert c[i] * np.log(lo[i]) - r[i] * lo[i] == pytest.approx(
            c[i] * np.log(hi[i]) - r[i] * hi[i], rel=1e-10
        )


def test_ranking_the_pivot_itself_is_the_parameter_pit():
    """kappa (b0 + S) is increasing in kappa for fixed data, so P_post(pivot <= pivot_true) is
    F(kappa_true): ranking it adds nothing to sbc.kappa_pit (why it is folded)."""
    rng = np.random.default_rng(3)
    data = simulate_kappa(rng, 3000.0, 25)
    post = GammaPosterior(9.0, 0.004)
    draws = stats.gamma.rvs(post.alpha, scale=1.0 / post.beta, size=200_000, random_state=rng)
    rate = GammaPrior().beta + data.distances.sum()
    rank = float(np.mean(draws * rate <= data.kappa * rate))
    assert rank == pytest.approx(float(post.cdf(data.kappa)), abs=0.004)


def test_loglik_pit_is_uniform_for_the_exact_posterior_and_not_for_half_the_data():
    rng = np.random.default_rng(5)
    prior = GammaPrior()
    exact, half, exact_pd, half_pd = [], [], [], []
    for _ in range(1500):
        data = simulate_kappa(rng, prior.draw(rng), int(rng.integers(20, 300)))
        d, m = data.distances, len(data.distances) // 2
        full = GammaPosterior(prior.alpha + d.size, prior.beta + d.sum())
        post = GammaPosterior(prior.alpha + d.size - m, prior.beta + d[m:].sum())
        exact.append(loglik_pit(full, d, data.kappa))
        half.append(loglik_pit(post, d, data.kappa))
        exact_pd.append(loglik_pit(full, d, data.kappa, "pivot_density"))
        half_pd.append(loglik_pit(post, d, data.kappa, "pivot_density"))
    for ok, bad in ((exact, half), (exact_pd, half_pd)):
        assert stats.kstest(ok, "uniform").pvalue > 0.001
        assert stats.kstest(bad, "uniform").pvalue < 1e-10
        assert np.mean(bad) > 0.6  # kappa_true sits too high in g: u near 1


def test_latest_half_escapes_the_parameter_pit_and_is_caught_by_the_loglik_pit():
    for seed in (0, 1, 2):
        assert run_kappa_pit(latest_half_kappa, seed).status is Status.PASS
        res = run_kappa_loglik_pit(latest_half_kappa, seed)
        assert res.status is Status.FAIL and math.isfinite(res.statistic)


def test_loglik_check_passes_the_production_estimator_and_reports_its_pits():
    res = run_kappa_loglik_pit(conjugate_kappa, 4, settings=ExactSbcSettings(n_replications=500))
    assert res.status is Status.PASS
    for q in QUANTITIES:
        assert len(res.details["quantities"][q]["pit"]) == 500


def test_verdict_splits_alpha_over_the_quantities():
    rng = np.random.default_rng(0)
    ok = {q: rng.uniform(size=2000) for q in QUANTITIES}
    assert not verdict(ok, 0.001)[0]
    bad = dict(ok, loglik=rng.uniform(size=2000) ** 0.8)  # one quantity off: FAIL
    failed, statistic, tests = verdict(bad, 0.001)
    assert failed and statistic > 1.0 and set(tests) == set(QUANTITIES)
    assert all(t.alpha == pytest.approx(0.001 / 2) for t in tests.values())


def test_loglik_check_fails_a_candidate_that_raises():
    def broken(data, prior):
        raise ValueError("no posterior")

    res = run_kappa_loglik_pit(broken, 0)
    assert res.status is Status.FAIL and "no posterior" in res.details["candidate_error"]


@pytest.mark.audit
def test_audit_latest_half_escape_and_detection_over_100_seeds():
    escaped = sum(run_kappa_pit(latest_half_kappa, 1000 + k).passed for k in range(100))
    caught = sum(run_kappa_loglik_pit(latest_half_kappa, 1000 + k).failed for k in range(100))
    assert escaped >= 95 and caught >= 99
