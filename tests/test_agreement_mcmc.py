"""MCMC agreement checks: the production candidates pass, known-bad variants (defined here)
fail on the same seeded fit, and a fit that fails its convergence gate is INCONCLUSIVE.

One small fit per model and seed (the checks memoise fits per seed), so the whole file costs
about three reference fits plus their compilation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from online import GammaPosterior
from reference_models.sampling import SamplerSettings
from validation.agreement import jumps_mcmc, kappa
from validation.candidates.jumps import initial_sigma_diffusion, soft_jumps
from validation.candidates.kappa import conjugate_kappa, hierarchical_kappa
from validation.families import JumpFit
from validation.results import Status

SEED = 0


# ---------------------------------------------------------------- known-bad variants


def volume_weighted(data, prior):
    """Legacy V1: alpha = a0 + sum v, beta = b0 + sum v d (volumes instead of a count)."""
    d = np.maximum(data.distances, 1e-5)
    return GammaPosterior(prior.alpha + data.volumes.sum(), prior.beta + np.sum(data.volumes * d))


def kappa_bp_units(data, prior):
    """Distances in bp (x 1e4) fed to a prior set in fractions of the mid."""
    d = np.maximum(data.distances, 1e-5) * 1e4
    return GammaPosterior(prior.alpha + d.size, prior.beta + d.sum())


def point_estimate(data, prior):
    return 2500.0


def hier_bp_units(data, kappa_market):
    d = np.maximum(data.own_distances, 1e-5) * 1e4
    return GammaPosterior(data.a0 + d.size, data.a0 / kappa_market + d.sum())


def hier_rate_as_scale(data, kappa_market):
    """Prior Gamma(a0, scale = a0 / kappa_market) taken for Gamma(a0, rate = a0 / kappa_market)."""
    d = np.maximum(data.own_distances, 1e-5)
    return GammaPosterior(data.a0 + d.size, kappa_market / data.a0 + d.sum())


def binary_three_sigma(returns):
    r = np.asarray(returns, dtype=float)
    sd = initial_sigma_diffusion(r)
    flagged = np.abs(r) > 3.0 * sd
    return JumpFit(flagged.astype(float), min(max(flagged.mean(), 1e-3), 0.5), sd, 4.0 * sd)


def design_hard_threshold(returns):
    r = np.asarray(returns, dtype=float)
    sd = initial_sigma_diffusion(r)
    pi, jump_var = 0.05, (4.0 * sd) ** 2

    def p_of(x, sj):
        lo = math.log(pi / (1 - pi)) + math.log(sd / sj) + 0.5 * x * x * (sd**-2 - sj**-2)
        return 1.0 / (1.0 + np.exp(-lo))

    for x in r.tolist():
        p = float(p_of(x, math.sqrt(jump_var)))
        pi = 0.01 * p + 0.99 * pi
        if p > 0.5:
            jump_var = 0.1 * x * x + 0.9 * jump_var
    sj = math.sqrt(jump_var)
    return JumpFit(p_of(r, sj), pi, sd, sj)


# ---------------------------------------------------------------- kappa


def test_kappa_passes_and_reference_sees_the_floored_data():
    result = kappa.check_kappa_mcmc(conjugate_kappa, SEED)
    assert result.status is Status.PASS, result.details
    _, data, used = kappa._kappa_scenario(SEED)
    assert result.details["floored"] == int(np.sum(data.distances < 1e-5))
    np.testing.assert_array_equal(used, np.where(data.distances < 1e-5, 1e-5, data.distances))
    assert result.details["mcmc"].usable
    assert result.false_alarm_rate == kappa.ALPHA


@pytest.mark.parametrize("bad", [volume_weighted, kappa_bp_units, point_estimate])
def test_kappa_fails_known_bad(bad):
    result = kappa.check_kappa_mcmc(bad, SEED)
    assert result.status is Status.FAIL
    assert result.statistic > 1.0


def test_scenario_longer_than_the_window_is_refused():
    with pytest.raises(ValueError, match="window"):
        kappa._floored(np.ones(2), np.array([0, 300_000]), 1e-5, 300_000)


@pytest.fixture
def tiny_sampler(monkeypatch):
    """Settings too small for the convergence gate (ESS << 400); fit caches cleared around."""

    def tiny():
        return SamplerSettings(draws=30, tune=30, chains=2)

    caches = [kappa._kappa_fit, kappa._hier_fit, jumps_mcmc.reference]
    for c in caches:
        c.cache_clear()
    monkeypatch.setattr(kappa, "_sampler_settings", tiny)
    monkeypatch.setattr(jumps_mcmc, "_sampler_settings", tiny)
    yield
    for c in caches:
        c.cache_clear()


@pytest.mark.usefixtures("tiny_sampler")
def test_unusable_fit_is_inconclusive_never_pass():
    for cand in (conjugate_kappa, kappa_bp_units):
        result = kappa.check_kappa_mcmc(cand, 7)
        assert result.status is Status.INCONCLUSIVE
        assert result.details["mcmc"].reasons
    result = jumps_mcmc.check_jumps_mcmc(soft_jumps, 7)
    assert result.status is Status.INCONCLUSIVE


# ---------------------------------------------------------------- hierarchical (pinned)


def test_hierarchical_pinned_passes():
    result = kappa.check_hierarchical_pinned_mcmc(hierarchical_kappa, SEED)
    assert result.status is Status.PASS, result.details


@pytest.mark.parametrize("bad", [hier_bp_units, hier_rate_as_scale])
def test_hierarchical_pinned_fails_known_bad(bad):
    assert kappa.check_hierarchical_pinned_mcmc(bad, SEED).status is Status.FAIL


# ---------------------------------------------------------------- jumps


def test_jumps_mcmc_passes_the_production_candidate():
    result = jumps_mcmc.check_jumps_mcmc(soft_jumps, SEED)
    assert result.status is Status.PASS, result.details
    assert result.details["mcmc"].usable


@pytest.mark.parametrize("bad", [binary_three_sigma, design_hard_threshold])
def test_jumps_mcmc_fails_known_bad(bad):
    result = jumps_mcmc.check_jumps_mcmc(bad, SEED)
    assert result.status is Status.FAIL


# ---------------------------------------------------------------- audits (pytest -m audit)


@pytest.mark.audit
@pytest.mark.parametrize(
    ("check", "candidate", "bad"),
    [
        (kappa.check_kappa_mcmc, conjugate_kappa, kappa_bp_units),
        (kappa.check_hierarchical_pinned_mcmc, hierarchical_kappa, hier_rate_as_scale),
        (jumps_mcmc.check_jumps_mcmc, soft_jumps, design_hard_threshold),
    ],
)
def test_mcmc_false_alarms_and_power_on_fresh_seeds(check, candidate, bad):
    """30 seeds outside every calibration range: at a nominal 1e-3, two or more false alarms
    would have probability < 5e-4; the known-bad variant must fail on every usable seed."""
    seeds = range(90_000, 90_030)
    results = [(check(candidate, s), check(bad, s)) for s in seeds]
    usable = [(good, worse) for good, worse in results if good.status is not Status.INCONCLUSIVE]
    assert len(usable) >= 27
    assert sum(good.failed for good, _ in usable) <= 1
    assert all(worse.failed for _, worse in usable)
