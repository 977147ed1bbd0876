"""Severity of the agreement and recovery checks (validation.calibration.agreement_severity)
and of the two end-to-end checks added to validation.endtoend.severity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from validation.agreement import stochastic_vol as asv
from validation.agreement.jumps import bayes_jump_probability
from validation.calibration import agreement_severity as ags
from validation.calibration import severity as sv
from validation.endtoend import severity as es
from validation.families import JumpFit

SEEDS = (30_000, 30_001, 30_002)


def _gross(target: sv.Target) -> bool:
    """Every direction detected at its grid end on the first seed."""
    return all(target.detects(d.name, d.grid[-1], SEEDS[0]) for d in target.directions)


def _quiet(target: sv.Target, seeds=SEEDS) -> bool:
    """The undistorted output (the same in every direction) is not detected on ``seeds``."""
    d = target.directions[0]
    return not any(target.detects(d.name, d.grid[0], s) for s in seeds)


@pytest.mark.parametrize("direction", ["scale > 1", "scale < 1"])
def test_distorted_draws_keep_the_mean_and_scale_the_sd(direction):
    x = np.random.default_rng(0).gamma(5.0, 2.0, size=(4, 500))
    s = 1.3 if direction == "scale > 1" else 0.7
    y = ags.distorted_draws(x, direction, s)
    assert y.shape == x.shape
    assert y.mean() == pytest.approx(x.mean(), rel=1e-12)
    assert y.std(ddof=1) == pytest.approx(s * x.std(ddof=1), rel=1e-12)


def test_distorted_draws_shift_by_sds_and_refuse_a_bad_scale():
    x = np.random.default_rng(1).normal(3.0, 2.0, size=(2, 300))
    y = ags.distorted_draws(x, "shift", 0.4)
    assert y.mean() == pytest.approx(x.mean() + 0.4 * x.std(ddof=1), rel=1e-12)
    assert y.std(ddof=1) == pytest.approx(x.std(ddof=1), rel=1e-12)
    with pytest.raises(ValueError, match="magnitude"):
        ags.distorted_draws(x, "scale > 1", 0.0)


def test_scaled_jump_parameter_is_the_bayes_classifier_of_the_scaled_parameters():
    r = np.random.default_rng(2).normal(0.0, 2e-4, 50)
    fit = JumpFit(bayes_jump_probability(r, 0.05, 1e-4, 5e-4), 0.05, 1e-4, 5e-4)
    assert ags.scaled_jump_parameter(fit, r, "sigma_j", 1.0) is fit
    out = ags.scaled_jump_parameter(fit, r, "sigma_j", 1.2)
    assert (out.pi, out.sigma_d, out.sigma_j) == (0.05, 1e-4, pytest.approx(6e-4, rel=1e-12))
    np.testing.assert_allclose(out.p_jump, bayes_jump_probability(r, 0.05, 1e-4, 6e-4))
    with pytest.raises(ValueError, match="name"):
        ags.scaled_jump_parameter(fit, r, "mu", 1.2)
    with pytest.raises(ValueError, match="factor"):
        ags.scaled_jump_parameter(fit, r, "pi", 25.0)


def test_sv_distorted_z_moves_one_z_by_the_closed_form():
    details = {
        "estimates": {"phi": 0.94, "mu": -13.7, "xi": 0.29, "leverage": -0.45},
        "truth": {"phi": 0.95, "mu": -13.8, "xi": 0.3, "leverage": -0.44},
        "sampling_sd": {"phi": 0.01, "mu": 0.06, "xi": 0.03, "leverage": 0.13},
    }
    z0 = ags.sv_distorted_z(details, "phi", 1.0)
    z = ags.sv_distorted_z(details, "phi", 1.06)
    assert z["phi"] == pytest.approx(z0["phi"] + 0.94 * 0.06 / 0.01, rel=1e-12)
    assert all(z[f] == z0[f] for f in ("mu", "xi", "leverage"))
    zm = ags.sv_distorted_z(details, "mu", 1.5)
    assert zm["mu"] == pytest.approx(z0["mu"] + math.log(1.5) / 0.06, rel=1e-12)
    assert asv.recovery_fails(z) and not asv.recovery_fails(z0)


def test_scaled_predictive_scales_the_lomax_and_the_return_sd():
    from validation.market import MarketSpec, simulate_market
    from validation.market.feed import run_unified

    session = simulate_market(
        MarketSpec(duration_s=120.0, trade_rate_per_s=1.0), np.random.default_rng(0)
    )
    run = run_unified(session, [session.spec.start_ms + 100_000])
    (p,) = run.params
    (q,) = es.scaled_predictive(run, "distance s > 1", 1.25).params
    a, b = (p.kappa / p.kappa_uncertainty) ** 2, p.kappa / p.kappa_uncertainty**2
    qa, qb = (q.kappa / q.kappa_uncertainty) ** 2, q.kappa / q.kappa_uncertainty**2
    assert qa == pytest.approx(a, rel=1e-12) and qb == pytest.approx(1.25 * b, rel=1e-12)
    d = 3e-4  # P(s D > d) of the original Lomax is P(D > d) of the new one
    assert (qb / (qb + d)) ** qa == pytest.approx((b / (b + d / 1.25)) ** a, rel=1e-12)
    (w,) = es.scaled_predictive(run, "return s < 1", 0.8).params
    assert w.sigma == pytest.approx(0.8 * p.sigma) and w.kappa == p.kappa


def test_output_cache_calls_the_candidate_once_per_argument_and_seed():
    calls = []

    def candidate(x, h):
        calls.append(1)
        return x * h

    cache = sv.OutputCache(candidate)
    x = np.arange(4.0)
    for _ in range(3):
        cache.run(1, x, 2.0)
    cache.run(1, x + 1.0, 2.0)
    assert len(calls) == 2
    cache.run(2, x, 2.0)  # a new seed drops the old outputs
    assert len(calls) == 3


@pytest.mark.parametrize("check", ["recovery.arrival_intensity", "recovery.jump_parameters"])
def test_cheap_recovery_targets_are_quiet_undistorted_and_catch_gross_bias(check):
    target = ags.TARGETS[check]
    assert _quiet(target) and _gross(target)


def test_targets_have_grids_from_no_distortion_outward():
    targets = [*ags.TARGETS.values(), es.TARGETS["e2e.kappa_joint_mcmc"]]
    for target in [*targets, es.TARGETS["e2e.prequential_pit"]]:
        for d in target.directions:
            assert d.grid[0] in (0.0, 1.0) and len(set(d.grid)) == len(d.grid)
            steps = np.diff(d.grid)
            assert np.all(steps > 0) or np.all(steps < 0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "target",
    [
        *(ags.TARGETS[c] for c in ags.TARGETS if c.startswith("agreement.")),
        ags.TARGETS["recovery.stochastic_vol"],
        es.TARGETS["e2e.kappa_joint_mcmc"],
        es.TARGETS["e2e.prequential_pit"],
    ],
    ids=lambda t: t.check,
)
def test_mcmc_and_slow_targets_are_quiet_undistorted_and_catch_gross_distortion(target):
    """One MCMC fit (or check run) per seed, 0.2-20 s each with the compile."""
    assert _quiet(target, SEEDS[:2]) and _gross(target)
