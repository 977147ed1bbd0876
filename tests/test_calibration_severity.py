"""Severity of the exact-PIT SBC checks (validation.calibration.severity)."""

from __future__ import annotations

import dataclasses
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
    detects = sv.TARGETS[KAPPA_PIT].detects
    assert (
        sum(detects("scale > 1", 1.0, k) for k in range(300)) <= 3
    )  # P(Bin(300, 1e-3) >= 4) < 3e-4


def test_crossing_interpolates_linearly_and_is_nan_when_not_reached():
    grid, powers = (1.0, 1.1, 1.2), (0.0, 0.5, 1.0)
    assert sv.crossing(grid, powers, 0.8) == pytest.approx(1.16)
    assert sv.crossing(grid, powers, 0.5) == pytest.approx(1.1)
    assert math.isnan(sv.crossing(grid, (0.0, 0.1, 0.2), 0.8))


def test_power_curves_rows_and_table():
    target = sv.TARGETS[KAPPA_PIT]
    rows = sv.power_curves(dataclasses.replace(target, directions=(sv.SD_SCALE_UP,)), 20)
    (row,) = rows
    assert row.powers[0] == 0.0 and row.powers[-1] == 1.0
    assert 1.0 < row.detected[0.8] <= row.detected[0.99] <= 1.25
    assert KAPPA_PIT in sv.table(rows)
    with pytest.raises(ValueError, match="n_seeds"):
        sv.power_curves(target, 0)


def test_table_round_trip_merges_by_check(tmp_path):
    path = tmp_path / "severity.json"
    a = sv.SeverityRow(
        "c.a", "shift", "d", "s", (0.0, 1.0), (0.0, 1.0), {0.8: 0.8, 0.99: math.nan}, 5, 1
    )
    b = dataclasses.replace(a, check="c.b")
    sv.write_table([a, b], "cmd one", path)
    sv.write_table([dataclasses.replace(a, powers=(0.0, 0.5))], "cmd two", path)
    stored = sv.load_table(path)
    assert stored["c.a"][0].powers == (0.0, 0.5) and stored["c.a"][0].command == "cmd two"
    assert stored["c.b"][0].command == "cmd one" and math.isnan(stored["c.b"][0].detected[0.99])
    assert sv.load_table(tmp_path / "missing.json") == {}


def test_shipped_table_covers_every_target_with_its_command():
    stored = sv.load_table()
    from validation.calibration.agreement_severity import TARGETS as AGREEMENT
    from validation.endtoend.severity import TARGETS as E2E

    for name, target in {**sv.TARGETS, **E2E, **AGREEMENT}.items():
        rows = stored[name]
        assert {r.direction for r in rows} == {d.name for d in target.directions}
        for r in rows:
            assert r.command.startswith("python -m validation.") and r.n_seeds >= 10
            assert len(r.powers) == len(r.grid) and r.measured


def test_loglik_quantities_match_the_scalar_check_code():
    """The vectorised quantities of the severity scenario equal level_set_pit on the same
    numbers (one replication recomputed with the check's scalar function)."""
    from online.gamma_posterior import GammaPosterior
    from validation.calibration import loglik_pit as lp

    u = sv.loglik_quantities("fraction", 0.5, 11)
    assert set(u) == set(lp.QUANTITIES)
    for q in lp.QUANTITIES:
        assert np.all((u[q] >= 0) & (u[q] <= 1))
    fast = sv.loglik_quantities("scale > 1", 1.0, 3)
    assert not lp.verdict(fast, 0.001)[0]
    # the half-data posterior is caught, as by the real check (test_calibration_loglik_pit)
    assert lp.verdict(sv.loglik_quantities("fraction", 0.5, 3), 0.001)[0]
    post = GammaPosterior(8.0, 0.003)
    lo, hi = lp.level_set_interval(2000.0, 12.0, 0.006)
    assert lp.level_set_pit(post, 2000.0, 12.0, 0.006) == pytest.approx(
        float(stats.gamma.cdf(lo, 8.0, scale=1 / 0.003) + stats.gamma.sf(hi, 8.0, scale=1 / 0.003))
    )


def test_loglik_fraction_scenario_has_the_pit_law_of_the_real_check_on_latest_half():
    """Real check on the catalogue's latest-half candidate vs the vectorised f = 1/2 scenario:
    the log-likelihood PITs of 2000 replications agree (two-sample KS)."""
    from validation.calibration.loglik_pit import run_kappa_loglik_pit
    from validation.catalogue.sbc_bugs import latest_half_kappa

    real = run_kappa_loglik_pit(latest_half_kappa, 7)
    fast = sv.loglik_quantities("fraction", 0.5, 7)
    for q in fast:
        assert stats.ks_2samp(real.details["quantities"][q]["pit"], fast[q]).pvalue > 0.001


def test_rank_target_uses_the_rank_verdict_and_fails_far_off():
    detects = sv.TARGETS["sbc.reference_gamma_exponential_ranks_jax"].detects
    assert not any(detects("scale > 1", 1.0, k) for k in range(5))
    assert all(detects("scale > 1", 2.0, k) for k in range(5))
    assert all(detects("shift", 1.0, k) for k in range(5))


def test_plugin_target_passes_the_production_plugin_and_fails_narrow_intervals():
    detects = sv.TARGETS["sbc.hierarchical_plugin_coverage"].detects
    assert not any(detects("scale < 1", 1.0, k) for k in range(5))
    assert all(detects("scale < 1", 0.7, k) for k in range(5))


def test_scaled_sigma_d_classifier_is_the_calibrated_one_at_factor_1_and_caught_far_off():
    from validation.calibration.sbc_jumps import calibrated_classifier, run_jump_reliability

    r = np.random.default_rng(0).normal(0.0, 3e-4, 500)
    np.testing.assert_array_equal(
        sv.scaled_sigma_d_classifier(1.0)(r).p_jump, calibrated_classifier(r).p_jump
    )
    assert run_jump_reliability(sv.scaled_sigma_d_classifier(1.5), 0).failed
    assert run_jump_reliability(sv.scaled_sigma_d_classifier(0.6), 0).failed


@pytest.mark.slow
def test_plugin_scenario_has_the_coverage_of_the_real_check():
    """Real check (streaming production estimator, sd x 0.8) vs the vectorised scenario: the
    95% coverage of each regime agrees within 4 binomial sds of the difference."""
    from validation.calibration.sbc_plugin import run_hierarchical_plugin_coverage

    real = run_hierarchical_plugin_coverage(
        sv.distorted_candidate(hierarchical_kappa, "scale", 0.8), 5
    )
    fast = sv.plugin_covered(0.8, 5)
    for name, x in zip(("small_market", "large_market"), fast, strict=True):
        a, b = real.details["regimes"][name]["coverage_95"], x / 1000
        sd = math.sqrt(2 * b * (1 - b) / 1000)
        assert abs(a - b) < 4 * sd, (name, a, b)
