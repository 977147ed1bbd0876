"""Severity of the end-to-end checks (validation.endtoend.severity)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import stats

from validation.endtoend import severity as es
from validation.endtoend.jump_calibration import JumpCalibrationSettings, run_jump_calibration
from validation.endtoend.kappa_sbc import KappaSbcSettings, run_kappa_sbc
from validation.endtoend.sigma_bias import SigmaBiasSettings, run_sigma_bias
from validation.market.feed import run_unified


def _distorted(distortion, direction, magnitude, cache=None):
    """The production candidate with ``distortion``; with a cache, one estimator run per
    session across calls (seed 0 of the cache)."""

    def candidate(session, checkpoints_ms):
        run = (
            run_unified(session, checkpoints_ms)
            if cache is None
            else cache.run(0, session, checkpoints_ms)
        )
        return distortion(run, direction, magnitude)

    return candidate


def _plain(cache):
    return lambda session, checkpoints_ms: cache.run(0, session, checkpoints_ms)


def test_logit_scaling_is_the_identity_at_1_and_moves_away_from_one_half():
    p = np.array([0.0, 1e-6, 0.3, 0.5, 0.9, 1.0])
    np.testing.assert_allclose(es.logit_scaled(p, 1.0), p, rtol=1e-12, atol=0)
    over, under = es.logit_scaled(p, 2.0), es.logit_scaled(p, 0.5)
    assert over[0] == 0.0 and over[-1] == 1.0 and over[3] == under[3] == 0.5
    assert over[2] < p[2] < under[2] and under[4] < p[4] < over[4]


def test_identity_distortions_leave_each_check_unchanged():
    """At magnitude 1 (shift 0) the distorted candidate gives the check's own result."""
    cases = [
        (run_sigma_bias, SigmaBiasSettings(n_sessions=2), es.scaled_sigma, "bias > 0", 1.0),
        (run_kappa_sbc, KappaSbcSettings(n_replications=10), es.distorted_kappa, "shift", 0.0),
        (
            run_jump_calibration,
            JumpCalibrationSettings(n_sessions=1),
            es.distorted_jumps,
            "logit > 1",
            1.0,
        ),
    ]
    for run, settings, distortion, direction, m in cases:
        cache = es.run_cache(run_unified)
        plain = run(_plain(cache), 3, settings=settings)
        same = run(_distorted(distortion, direction, m, cache), 3, settings=settings)
        assert same.statistic == pytest.approx(plain.statistic, rel=1e-9, abs=1e-12)


def test_sigma_factor_adds_exactly_two_log_factor_to_every_session_statistic():
    s, cache = SigmaBiasSettings(n_sessions=2), es.run_cache(run_unified)
    plain = run_sigma_bias(_plain(cache), 5, settings=s).details["tests"]
    biased = run_sigma_bias(_distorted(es.scaled_sigma, "bias > 0", 1.1, cache), 5, settings=s)
    for a, b in zip(plain, biased.details["tests"], strict=True):
        shift = b["mean_log_variance_ratio"] - a["mean_log_variance_ratio"]
        assert shift == pytest.approx(2 * math.log(1.1), rel=1e-9)
        assert b["se"] == pytest.approx(a["se"], rel=1e-9)


def test_distorted_kappa_reports_the_distorted_gamma_and_its_interval():
    from validation.market import MarketSpec, simulate_market

    session = simulate_market(
        MarketSpec(duration_s=120.0, trade_rate_per_s=1.0), np.random.default_rng(0)
    )
    run = run_unified(session, [session.spec.start_ms + 100_000])
    (p,) = run.params
    (q,) = es.distorted_kappa(run, "shift", 0.5).params
    assert q.kappa == pytest.approx(p.kappa + 0.5 * p.kappa_uncertainty, rel=1e-12)
    assert q.kappa_uncertainty == pytest.approx(p.kappa_uncertainty, rel=1e-12)
    (w,) = es.distorted_kappa(run, "scale > 1", 1.5).params
    assert w.kappa == pytest.approx(p.kappa) and w.kappa_uncertainty == pytest.approx(
        1.5 * p.kappa_uncertainty
    )
    shape = (w.kappa / w.kappa_uncertainty) ** 2
    lo, hi = stats.gamma.interval(0.95, shape, scale=w.kappa_uncertainty**2 / w.kappa)
    assert (w.kappa_95_lower, w.kappa_95_upper) == pytest.approx((lo, hi), rel=1e-9)


def test_distorted_jumps_move_toxicity_by_the_ewma_of_the_change():
    from validation.endtoend.jump_calibration import SPEC, toxicity_weights
    from validation.market import simulate_market

    session = simulate_market(SPEC, np.random.default_rng(1))
    cp = SPEC.start_ms + 900_000
    run = run_unified(session, [cp])
    out = es.distorted_jumps(run, "logit > 1", 3.0)
    p = np.array([np.nan if b.p_jump is None else b.p_jump for b in run.buckets])
    q = np.array([np.nan if b.p_jump is None else b.p_jump for b in out.buckets])
    end = np.array([b.end_ms for b in run.buckets])
    keep = np.isfinite(p) & (end <= cp)
    w = toxicity_weights(int(keep.sum()))
    expected = run.params[0].toxicity_score + np.sum(w * (q[keep] - p[keep])) / w.sum()
    assert out.params[0].toxicity_score == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(q[keep], es.logit_scaled(p[keep], 3.0))


def test_detects_reuses_the_undistorted_runs_of_a_seed_and_catches_a_gross_error():
    calls = []

    def counting(session, checkpoints_ms):
        calls.append(1)
        return run_unified(session, checkpoints_ms)

    run = functools.partial(run_kappa_sbc, settings=KappaSbcSettings(n_replications=30))
    cache = es.run_cache(counting)

    def detects(direction, m, seed):
        def candidate(session, checkpoints_ms):
            return es.distorted_kappa(cache.run(seed, session, checkpoints_ms), direction, m)

        return run(candidate, seed).failed

    assert not detects("shift", 0.0, 4)
    assert detects("scale < 1", 0.3, 4)
    assert len(calls) == 30  # the second magnitude ran no estimator


def test_targets_have_grids_from_no_distortion_outward():
    for target in es.TARGETS.values():
        for d in target.directions:
            assert d.grid[0] in (0.0, 1.0) and len(set(d.grid)) == len(d.grid)
            steps = np.diff(d.grid)
            assert np.all(steps > 0) or np.all(steps < 0)
