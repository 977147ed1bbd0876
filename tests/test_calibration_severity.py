"""Severity of the exact-PIT SBC checks (validation.calibration.severity)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from validation.calibration import severity as sv
from validation.calibration._sbc import exact_pit_result
from validation.calibration.coverage import pit_coverage
from validation.calibration.sbc_exact import (
    HIERARCHICAL_PINNED_PIT,
    KAPPA_PIT,
    ExactSbcSettings,
    run_hierarchical_pinned_pit,
    run_kappa_pit,
)
from validation.candidates.kappa import conjugate_kappa, hierarchical_kappa


@pytest.mark.parametrize("a", [6.0, 50.0, 505.0])
def test_distortions_move_mean_and_sd_as_stated(a):
    b = a / 2500.0
    mean, sd = a / b, math.sqrt(a) / b
    shape, rate = sv.distort(np.array(a), np.array(b), "scale", 1.3)
    m, v = stats.gamma.stats(shape, scale=1.0 / rate, moments="mv")
    assert m == pytest.approx(mean, rel=1e-12) and math.sqrt(v) == pytest.approx(1.3 * sd)
    shape, rate = sv.distort(np.array(a), np.array(b), "shift", 0.2)
    m, v = stats.gamma.stats(shape, scale=1.0 / rate, moments="mv")
    assert m == pytest.approx(mean + 0.2 * sd, rel=1e-12) and math.sqrt(v) == pytest.approx(sd)


def test_distort_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        sv.distort(np.array(6.0), np.array(1.0), "tilt", 1.0)
    with pytest.raises(ValueError, match="magnitude"):
        sv.distort(np.array(6.0), np.array(1.0), "scale", 0.0)
    with pytest.raises(ValueError, match="magnitude"):
        sv.distort(np.array(6.0), np.array(1.0), "shift", -3.0)


def test_fast_verdict_agrees_with_the_check_verdict_including_borderline_cases():
    cases = [("scale", 1.07), ("scale", 0.95), ("shift", 0.09), ("scale", 1.0)]
    outcomes = set()
    for seed in range(15):
        for kind, m in cases:
            u = sv.distorted_pit(KAPPA_PIT, kind, m, seed)
            slow = exact_pit_result("x", u, pit_coverage(u), 0.001, seed, 0.0, {}).failed
            assert sv.verdict_fails(u, 0.001) is slow
            outcomes.add(slow)
    assert outcomes == {True, False}  # the cases straddle the decision boundary


@pytest.mark.parametrize(
    ("check", "run", "candidate"),
    [
        (KAPPA_PIT, run_kappa_pit, conjugate_kappa),
        (HIERARCHICAL_PINNED_PIT, run_hierarchical_pinned_pit, hierarchical_kappa),
    ],
)
def test_vectorised_scenario_has_the_pit_law_of_the_real_check(check, run, candidate):
    """Real check (streaming production estimator, distorted) vs the vectorised scenario: the
    pooled PITs of 2000 replications each agree (two-sample KS), at a magnitude where both
    are far from uniform."""
    s = ExactSbcSettings()
    real = run(sv.distorted_candidate(candidate, "scale", 1.3), 7, settings=s)
    fast = sv.distorted_pit(check, "scale", 1.3, 7)
    assert stats.ks_2samp(real.details["pit"], fast).pvalue > 0.001
    assert stats.kstest(fast, "uniform").pvalue < 1e-6
    assert real.failed and sv.verdict_fails(fast, s.alpha)


def test_no_distortion_fails_at_about_the_stated_rate():
    rate = sv.power(KAPPA_PIT, "scale", 1.0, range(300))
    assert rate <= 3 / 300  # P(Binomial(300, 0.001) >= 4) < 3e-4


def test_crossing_interpolates_linearly_and_is_nan_when_not_reached():
    grid, powers = (1.0, 1.1, 1.2), (0.0, 0.5, 1.0)
    assert sv.crossing(grid, powers, 0.8) == pytest.approx(1.16)
    assert sv.crossing(grid, powers, 0.5) == pytest.approx(1.1)
    assert math.isnan(sv.crossing(grid, (0.0, 0.1, 0.2), 0.8))


def test_severity_row_and_table():
    row = sv.severity(KAPPA_PIT, "scale > 1", n_seeds=20)
    assert row.powers[0] == 0.0 and row.powers[-1] == 1.0
    assert 1.0 < row.detected[0.8] <= row.detected[0.99] <= 1.25
    assert KAPPA_PIT in sv.table([row])


def test_scaled_sigma_d_classifier_is_the_calibrated_one_at_factor_1_and_caught_far_off():
    from validation.calibration.sbc_jumps import calibrated_classifier, run_jump_reliability

    r = np.random.default_rng(0).normal(0.0, 3e-4, 500)
    np.testing.assert_array_equal(
        sv.scaled_sigma_d_classifier(1.0)(r).p_jump, calibrated_classifier(r).p_jump
    )
    assert run_jump_reliability(sv.scaled_sigma_d_classifier(1.5), 0).failed
    assert run_jump_reliability(sv.scaled_sigma_d_classifier(0.6), 0).failed
