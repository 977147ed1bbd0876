"""The log-likelihood test quantity of the kappa SBC (validation.calibration.loglik_pit)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from online.gamma_posterior import GammaPosterior
from validation.calibration.loglik_pit import loglik_pit, other_root, run_kappa_loglik_pit
from validation.calibration.sbc_exact import ExactSbcSettings, run_kappa_pit
from validation.candidates.kappa import conjugate_kappa
from validation.catalogue.sbc_bugs import latest_half_kappa
from validation.results import Status
from validation.scenarios import GammaPrior, simulate_kappa


@pytest.mark.parametrize("x0", [0.05, 0.5, 0.999, 1.0, 1.7, 6.0])
def test_other_root_solves_the_level_equation_on_the_other_side(x0):
    x1 = other_root(x0)
    assert math.log(x1) - x1 == pytest.approx(math.log(x0) - x0, abs=1e-10)
    assert (x1 - 1.0) * (x0 - 1.0) <= 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loglik_pit_equals_a_monte_carlo_reference(seed):
    """u_T against the fraction of 400 000 posterior draws whose log-likelihood is lower."""
    rng = np.random.default_rng(seed)
    data = simulate_kappa(rng, 2500.0, 40)
    post = GammaPosterior(8.0 + 40, 8.0 / 3000 + data.distances.sum())  # any Gamma will do
    kappa = post.ppf(rng.uniform())
    draws = stats.gamma.rvs(post.alpha, scale=1.0 / post.beta, size=400_000, random_state=rng)

    def loglik(k):
        return data.distances.size * np.log(k) - k * data.distances.sum()

    reference = float(np.mean(loglik(draws) <= loglik(kappa)))
    assert loglik_pit(post, data.distances, kappa) == pytest.approx(reference, abs=0.003)


def test_loglik_pit_is_uniform_for_the_exact_posterior_and_not_for_half_the_data():
    rng = np.random.default_rng(5)
    prior = GammaPrior()
    exact, half = [], []
    for _ in range(1500):
        data = simulate_kappa(rng, prior.draw(rng), int(rng.integers(20, 300)))
        d, m = data.distances, len(data.distances) // 2
        exact.append(
            loglik_pit(GammaPosterior(prior.alpha + d.size, prior.beta + d.sum()), d, data.kappa)
        )
        post = GammaPosterior(prior.alpha + d.size - m, prior.beta + d[m:].sum())
        half.append(loglik_pit(post, d, data.kappa))
    assert stats.kstest(exact, "uniform").pvalue > 0.001
    assert stats.kstest(half, "uniform").pvalue < 1e-10
    assert np.mean(half) > 0.6  # kappa_true sits too high in the likelihood: u_T near 1


def test_latest_half_escapes_the_parameter_pit_and_is_caught_by_the_loglik_pit():
    for seed in (0, 1, 2):
        assert run_kappa_pit(latest_half_kappa, seed).status is Status.PASS
        res = run_kappa_loglik_pit(latest_half_kappa, seed)
        assert res.status is Status.FAIL and math.isfinite(res.statistic)


def test_loglik_check_passes_the_production_estimator_and_reports_its_pits():
    res = run_kappa_loglik_pit(conjugate_kappa, 4, settings=ExactSbcSettings(n_replications=500))
    assert res.status is Status.PASS and len(res.details["pit"]) == 500


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
