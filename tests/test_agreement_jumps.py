"""Jump-classifier checks without MCMC: "exact.jump_probability" and
"recovery.jump_parameters", the jumps candidate, and known-bad variants defined here:

- binary 3-sigma classifier: P(jump) = 1{|r| > 3 sigma_d} (legacy V1);
- the design's hard-threshold update: pi <- 0.01 p + 0.99 pi, sigma_j^2 <- 0.1 r^2 + 0.9
  sigma_j^2 only when p > 0.5, sigma_d never updated (design V2 seed);
- stale probabilities: P(jump) from the START parameters while reporting the final ones;
- density ratio without log space: pi f_j / (pi f_j + (1 - pi) f_d) with scipy pdfs (0/0 at
  the flash returns).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from online.soft_jump import SoftJumpClassifier
from validation.agreement import jumps
from validation.agreement.audit import measure_failure_rate
from validation.candidates.jumps import initial_sigma_diffusion, soft_jumps
from validation.families import JumpFit
from validation.results import Status
from validation.scenarios import simulate_jumps

SPECS = {spec.name: spec for spec in jumps.CHECKS}
EXACT = SPECS["exact.jump_probability"]
RECOVERY = SPECS["recovery.jump_parameters"]


def _odds_p(r, pi, sd, sj):
    lo = math.log(pi / (1 - pi)) + math.log(sd / sj) + 0.5 * np.square(r) * (sd**-2 - sj**-2)
    return 1.0 / (1.0 + np.exp(-lo))


def binary_three_sigma(returns: np.ndarray) -> JumpFit:
    r = np.asarray(returns, dtype=float)
    sd = initial_sigma_diffusion(r)
    flagged = np.abs(r) > 3.0 * sd
    return JumpFit(flagged.astype(float), min(max(flagged.mean(), 1e-3), 0.5), sd, 4.0 * sd)


def design_hard_threshold(returns: np.ndarray) -> JumpFit:
    r = np.asarray(returns, dtype=float)
    sd = initial_sigma_diffusion(r)
    pi, jump_var = 0.05, (4.0 * sd) ** 2
    for x in r.tolist():
        p = float(_odds_p(x, pi, sd, math.sqrt(jump_var)))
        pi = 0.01 * p + 0.99 * pi
        if p > 0.5:
            jump_var = 0.1 * x * x + 0.9 * jump_var
    sj = math.sqrt(jump_var)
    return JumpFit(_odds_p(r, pi, sd, sj), pi, sd, sj)


def stale_probabilities(returns: np.ndarray) -> JumpFit:
    r = np.asarray(returns, dtype=float)
    start = SoftJumpClassifier(initial_sigma_diffusion(r))
    p_start = np.array([start.jump_probability(x) for x in r.tolist()])
    final = soft_jumps(r)
    return JumpFit(p_start, final.pi, final.sigma_d, final.sigma_j)


def density_ratio(returns: np.ndarray) -> JumpFit:
    fit = soft_jumps(returns)
    r = np.asarray(returns, dtype=float)
    with np.errstate(invalid="ignore"):
        fj = fit.pi * stats.norm.pdf(r, scale=fit.sigma_j)
        fd = (1 - fit.pi) * stats.norm.pdf(r, scale=fit.sigma_d)
        p = fj / (fj + fd)
    return JumpFit(p, fit.pi, fit.sigma_d, fit.sigma_j)


# ---------------------------------------------------------------- candidate


def test_initial_sigma_is_the_normal_consistent_mad_about_zero():
    r = simulate_jumps(np.random.default_rng(0), 1000).returns
    expected = stats.median_abs_deviation(
        r[:200], center=lambda x, axis: np.zeros(np.delete(x.shape, axis)), scale="normal"
    )
    assert initial_sigma_diffusion(r) == pytest.approx(expected, rel=1e-12)


def test_initial_sigma_is_consistent_for_pure_diffusion():
    sig = [
        initial_sigma_diffusion(np.random.default_rng(s).normal(0, 2e-4, 200)) for s in range(400)
    ]
    assert np.mean(sig) == pytest.approx(2e-4, rel=0.02)  # MC SE ~0.4%


def test_initial_sigma_fallbacks():
    r = np.zeros(300)
    r[:50] = 1e-4
    assert initial_sigma_diffusion(r) == pytest.approx(math.sqrt(50 * 1e-8 / 200), rel=1e-12)
    for bad in (np.zeros(10), np.array([]), np.array([1e-4, np.nan])):
        with pytest.raises(ValueError):
            initial_sigma_diffusion(bad)


def test_bayes_reference_has_its_half_point_where_the_densities_cross():
    """With pi = 0.05 and sigma_j = 4 sigma_d, P = 0.5 near |r| = 3.04 sigma_d (brentq)."""
    pi, sd, sj = 0.05, 1.0, 4.0
    root = optimize.brentq(
        lambda r: pi * stats.norm.pdf(r, scale=sj) - (1 - pi) * stats.norm.pdf(r, scale=sd), 1, 6
    )
    assert root == pytest.approx(3.04, abs=0.01)
    assert jumps.bayes_jump_probability(np.array([root, -root]), pi, sd, sj) == pytest.approx(0.5)
    assert jumps.bayes_jump_probability(np.array([1e3]), pi, sd, sj)[0] == 1.0


# ---------------------------------------------------------------- exact.jump_probability


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_probability_passes_the_production_candidate(seed):
    result = EXACT.run(soft_jumps, seed)
    assert result.status is Status.PASS, result.details
    assert result.statistic <= 1e-9


@pytest.mark.parametrize("bad", [binary_three_sigma, stale_probabilities, density_ratio])
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_probability_fails_known_bad(bad, seed):
    result = EXACT.run(bad, seed)
    assert result.status is Status.FAIL
    assert result.statistic > 1e-3


def test_design_hard_threshold_is_self_consistent():
    """Its P(jump) IS the posterior of its own reported parameters: the exact check passes it,
    and recovery (below) is the check that catches it."""
    assert EXACT.run(design_hard_threshold, 0).status is Status.PASS


def test_density_ratio_fails_at_the_flash_return():
    result = EXACT.run(density_ratio, 0)
    assert result.details["worst_index"] in {i for i, _ in jumps.FLASH_RETURNS}
    assert result.statistic == math.inf


def test_invalid_parameters_fail():
    def zero_pi(r):
        f = soft_jumps(r)
        return JumpFit(f.p_jump, 0.0, f.sigma_d, f.sigma_j)

    assert EXACT.run(zero_pi, 0).status is Status.FAIL
    assert RECOVERY.run(zero_pi, 0).status is Status.FAIL


# ---------------------------------------------------------------- recovery.jump_parameters


def test_recovery_tolerance_contains_the_truth_and_is_tight():
    for k, tol in jumps.RECOVERY_TOLERANCE.items():
        assert abs(jumps.RECOVERY_BIAS[k]) < tol < 0.25, k


@pytest.mark.parametrize("seed", [0, 1])
def test_recovery_passes_the_production_candidate(seed):
    result = RECOVERY.run(soft_jumps, seed)
    assert result.status is Status.PASS, result.details


@pytest.mark.parametrize("bad", [design_hard_threshold, binary_three_sigma])
@pytest.mark.parametrize("seed", [0, 1])
def test_recovery_fails_known_bad(bad, seed):
    assert RECOVERY.run(bad, seed).status is Status.FAIL


@pytest.mark.audit
def test_recovery_false_alarm_and_power():
    """Measured over 100 seeds: no false alarm on the production candidate (nominal 1e-3),
    and the design's hard-threshold update caught on >= 99 of 100."""
    fa = measure_failure_rate(RECOVERY, soft_jumps, n_seeds=100, seed0=20_000)
    assert fa.failures == 0, fa
    caught = sum(RECOVERY.run(design_hard_threshold, s).failed for s in range(20_000, 20_100))
    assert caught >= 99


@pytest.mark.audit
def test_recovery_calibration_reproduces_with_fresh_seeds():
    """The calibrated bias and sd agree with an independent 1000-run measurement within
    4 Monte Carlo standard errors of the difference (the 4000-run constants add a quarter of
    the variance: factor sqrt(1.25); sd of an sd estimate ~ sd / sqrt(2 runs))."""
    cal = jumps.calibrate_recovery(soft_jumps, runs=1000, seed=777)
    for k in jumps.RECOVERY_BIAS:
        assert abs(cal.bias[k] - jumps.RECOVERY_BIAS[k]) < 4 * cal.mc_se[k] * math.sqrt(1.25), k
        assert abs(cal.sd[k] - jumps.RECOVERY_SD[k]) < 4 * cal.sd[k] / math.sqrt(2 * 1000), k


@pytest.mark.audit
def test_exact_probability_false_alarm_rate():
    m = measure_failure_rate(EXACT, soft_jumps, n_seeds=200, seed0=30_000)
    assert m.failures == 0, m
