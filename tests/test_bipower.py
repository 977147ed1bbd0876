"""Tests of online.bipower against explicit weight vectors and Gaussian closed forms."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from online.bipower import BipowerConfig, MultiScaleBipowerEstimator
from online.errors import InvalidInputError, StateDictError
from online.ewma import tick_alpha

SIGMA = 1e-3  # per-bucket log-return sd used in the simulations


def _state_json(obj) -> str:
    return json.dumps(obj.state_dict(), sort_keys=True)


def _feed(est: MultiScaleBipowerEstimator, returns) -> None:
    for r in returns:
        est.update(float(r))


def _ewma_weights(n: int, h: float) -> np.ndarray:
    """Normalised EWMA weights 2**(-(n-i)/h) / sum, the first observation included: they sum
    to one."""
    w = 2.0 ** (-(n - 1 - np.arange(n)) / h)
    return w / w.sum()


def _jumpy_returns(seed: int, n: int, p_jump: float, jump_sigmas: float) -> tuple:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, SIGMA, n)
    jumps = rng.random(n) < p_jump
    r[jumps] += rng.choice([-1.0, 1.0], jumps.sum()) * jump_sigmas * SIGMA
    return r, np.flatnonzero(jumps)


def test_equals_explicit_weight_vectors():
    r, _ = _jumpy_returns(0, 400, 0.02, 8.0)
    est = MultiScaleBipowerEstimator()
    _feed(est, r)
    rv_ref, bv_ref = [], []
    for scale, h in enumerate((5.0, 20.0, 100.0)):
        rv = np.dot(_ewma_weights(len(r), h), r**2)
        products = (math.pi / 2.0) * np.abs(r[1:]) * np.abs(r[:-1])
        bv = np.dot(_ewma_weights(len(products), h), products)
        assert est.realized_variance(scale) == pytest.approx(rv, rel=1e-12)
        assert est.bipower_variance(scale) == pytest.approx(bv, rel=1e-12)
        rv_ref.append(rv)
        bv_ref.append(bv)
    ratio = min(100.0, max(0.1, rv_ref[0] / bv_ref[0]))
    w = min(0.85, max(0.0, 1.0 - 1.0 / ratio))
    assert est.jump_ratio == pytest.approx(ratio, rel=1e-12)
    # TRV: each return within 7 sd of the median-RV yardstick of the nonzero returns before
    # it (EWMA, half-life 20, of med(|r_{j-2}|, |r_{j-1}|, |r_j|)^2 / 0.7046)
    med_const = (6.0 - 4.0 * math.sqrt(3.0) + math.pi) / math.pi
    meds: list[float] = []
    kept: list[float] = []
    for j in range(len(r)):
        if meds and r[j] ** 2 <= 49.0 * np.dot(_ewma_weights(len(meds), 20.0), meds):
            kept.append(r[j] ** 2)
        if j >= 2:
            meds.append(float(np.median(np.abs(r[j - 2 : j + 1]))) ** 2 / med_const)
    kept = np.array(kept)
    assert 0 < len(r) - 3 - kept.size < 20  # the large jumps, not the diffusive returns
    trv = np.dot(_ewma_weights(kept.size, 100.0), kept)
    assert est.sigma_clean == pytest.approx(math.sqrt(trv), rel=1e-12)
    assert est.sigma_total == pytest.approx(math.sqrt(rv_ref[2]), rel=1e-12)
    assert est.sigma_effective == pytest.approx(math.sqrt((1 - w) * trv + w * rv_ref[2]), rel=1e-12)
    assert est.is_toxic == (ratio > 1.5)
    assert est.observation_count == 400


def test_nothing_before_data_and_bipower_needs_two_returns():
    est = MultiScaleBipowerEstimator()
    assert est.realized_variance(0) is None and est.sigma_effective is None
    assert est.jump_ratio is None and not est.is_toxic
    est.update(0.002)
    assert est.realized_variance(2) == pytest.approx(4e-6, rel=1e-15)
    assert est.bipower_variance(2) is None and est.sigma_clean is None
    assert est.sigma_effective is None and est.jump_ratio is None
    est.update(-0.001)
    assert est.bipower_variance(0) == pytest.approx(math.pi / 2 * 2e-6, rel=1e-15)
    est.update(0.003)  # the third nonzero return: the first median-RV yardstick value
    assert est.sigma_clean is None  # TRV starts with the return after it
    est.update(0.001)  # 1e-6 <= 49 * 0.002**2 / 0.7046: kept
    assert est.sigma_clean == pytest.approx(0.001, rel=1e-15)


def _variance_sd(weights: np.ndarray, lag0: float, lag1: float) -> float:
    """sd of sum_i w_i x_i for a stationary MA(1)-correlated series (autocovariances given)."""
    lag1_weight = 2.0 * np.dot(weights[1:], weights[:-1])
    return math.sqrt(np.dot(weights, weights) * lag0 + lag1_weight * lag1)


def test_rv_and_bv_both_unbiased_on_gaussian_returns_and_pi_over_2_is_needed():
    n, h_slow = 40_000, 2_000.0  # n >> h: the first observation's weight is 2**-20
    rng = np.random.default_rng(1)
    r = rng.normal(0.0, SIGMA, n)
    est = MultiScaleBipowerEstimator(BipowerConfig(half_lives_buckets=(5.0, 20.0, h_slow)))
    _feed(est, r)
    s2 = SIGMA**2
    # z, z' i.i.d. N(0,1): Var(z^2) = 2; (pi/2)|z||z'| has mean 1, variance pi^2/4 - 1 and
    # lag-1 autocovariance (pi/2)^2 (2/pi - 4/pi^2) = pi/2 - 1
    sd_rv = _variance_sd(_ewma_weights(n, h_slow), 2.0, 0.0)
    sd_bv = _variance_sd(_ewma_weights(n - 1, h_slow), math.pi**2 / 4 - 1, math.pi / 2 - 1)
    rv, bv = est.realized_variance(2) / s2, est.bipower_variance(2) / s2
    assert abs(rv - 1.0) < 4 * sd_rv
    assert abs(bv - 1.0) < 4 * sd_bv
    bv_without_pi_over_2 = bv * 2.0 / math.pi  # the EWMA is linear: same stream, no factor
    assert abs(bv_without_pi_over_2 - 1.0) > 4 * sd_bv
    assert sd_bv < 0.03  # the test has the power to see the 36% bias


def _toxic_fraction(ratios: np.ndarray) -> float:
    return float(np.mean(ratios > 1.5))


def test_jumps_raise_rv_but_not_bv_and_flag_toxicity():
    n = 40_000
    r, jump_at = _jumpy_returns(2, n, 0.002, 20.0)
    est = MultiScaleBipowerEstimator()
    rv_slow, bv_slow, ratio, raw_fast = [], [], [], []
    for x in r:
        est.update(float(x))
        if est.bipower_variance(0) is not None:
            rv_slow.append(est.realized_variance(2))
            bv_slow.append(est.bipower_variance(2))
            ratio.append(est.jump_ratio)
            raw_fast.append((est.realized_variance(0), est.bipower_variance(0)))
    s2 = SIGMA**2
    rv_avg, bv_avg = np.mean(rv_slow[500:]) / s2, np.mean(bv_slow[500:]) / s2
    # theory: E[RV] = 1 + p J^2 = 1.8; E[BV] = 1 + 2 p (pi/2) J E|z| = 1.10 (J = 20 sigma)
    assert rv_avg > 1.5
    assert abs(bv_avg - 1.0) < 0.15
    ratio = np.array(ratio)
    # every jump bucket is flagged toxic (ratio index = bucket index - 1)
    jumps = jump_at[jump_at >= 1] - 1
    assert np.all(ratio[jumps] > 1.5)
    # clean stretches (at least 40 buckets after the last jump): rarely toxic
    idx = np.arange(n)
    last_jump = np.maximum.accumulate(np.where(np.isin(idx, jump_at), idx, -(10**6)))
    clean = (idx - last_jump >= 40)[1:]
    assert _toxic_fraction(ratio[clean]) < 0.10
    # known-bad variant without the pi/2 factor flags a large part of clean flow as toxic
    rv_f, bv_f = np.array(raw_fast).T
    bad_ratio = np.clip(rv_f / (bv_f * 2.0 / math.pi), 0.1, 100.0)
    assert _toxic_fraction(bad_ratio[clean]) >= 0.10


def test_bipower_undefined_before_two_nonzero_returns():
    est = MultiScaleBipowerEstimator()
    _feed(est, [0.0, 0.0, 0.0])
    assert est.bipower_variance(0) is None and est.realized_variance(0) == 0.0
    assert est.jump_ratio is None and not est.is_toxic and est.sigma_effective is None
    _feed(est, [0.01, 0.0])  # one nonzero return: still no pair
    assert est.bipower_variance(0) is None
    _feed(est, [-0.01])
    assert est.bipower_variance(0) > 0.0 and est.jump_ratio is not None


def test_zero_returns_do_not_bias_bipower():
    """Returns that are 0 with probability p0 and otherwise N(0, s**2 / (1 - p0)) (variance s**2,
    as on a tick grid): BV_slow averaged over the stream is unbiased for s**2, within 3 standard
    errors from the spread across 40 independent streams; the classical all-pairs bipower mean
    (the known-bad variant) is (1 - p0) s**2 and fails the same test."""
    rng = np.random.default_rng(11)
    p0, s = 0.4, 1e-4
    ours, classical = [], []
    for _ in range(40):
        r = rng.normal(0.0, s / math.sqrt(1.0 - p0), 4000) * (rng.random(4000) > p0)
        est = MultiScaleBipowerEstimator()
        path = []
        for x in r:
            est.update(float(x))
            path.append(est.bipower_variance(2))
        ours.append(np.mean(path[500:]) / s**2)
        classical.append(math.pi / 2 * np.mean(np.abs(r[1:]) * np.abs(r[:-1])) / s**2)
    for values, unbiased in ((ours, True), (classical, False)):
        z = (np.mean(values) - 1.0) / (np.std(values, ddof=1) / math.sqrt(len(values)))
        assert bool(abs(z) < 3.0) is unbiased, z
    assert np.mean(classical) == pytest.approx(1.0 - p0, abs=0.03)


def test_blend_weight_capped_and_floored():
    est = MultiScaleBipowerEstimator()
    _feed(est, [1e-3, 1e-3, 1e-3, 1e-3, 5e-2])  # jump: ratio far above 1 / (1 - 0.85)
    assert est.jump_ratio > 1.0 / 0.15 and est.blend_weight == 0.85
    est = MultiScaleBipowerEstimator()
    _feed(est, [1e-3, -1e-3] * 10)  # RV / BV = 2/pi < 1: weight floored at 0
    assert est.jump_ratio == pytest.approx(2 / math.pi, rel=1e-12) and est.blend_weight == 0.0
    assert est.sigma_effective == pytest.approx(est.sigma_clean, rel=1e-15)


@pytest.mark.parametrize("bad", [1e200, -1e200])  # r**2 overflows float64
def test_overflowing_return_rejected_and_state_unchanged(bad):
    est = MultiScaleBipowerEstimator()
    _feed(est, _jumpy_returns(3, 50, 0.05, 5.0)[0])
    before = _state_json(est)
    with pytest.raises(InvalidInputError) as err:
        est.update(bad)
    assert err.value.field == "log_return"
    assert _state_json(est) == before


@pytest.mark.parametrize("scale", [-1, 3, 1.0, True, "0"])
def test_bad_scale_rejected(scale):
    with pytest.raises(InvalidInputError):
        MultiScaleBipowerEstimator().realized_variance(scale)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"half_lives_buckets": (5.0, 20.0)},
        {"half_lives_buckets": (5.0, 0.0, 100.0)},
        {"half_lives_buckets": (5.0, math.nan, 100.0)},
        {"jump_ratio_min": 0.0},
        {"jump_ratio_max": 0.05},
        {"toxic_threshold": -1.0},
        {"max_blend": 1.5},
    ],
)
def test_bad_config_rejected(kwargs):
    with pytest.raises(InvalidInputError):
        BipowerConfig(**kwargs)


def test_alpha_matches_tick_ewma_convention():
    est = MultiScaleBipowerEstimator()
    _feed(est, [1.0, 0.0])
    keep = 1.0 - tick_alpha(5.0)  # weights (keep, 1) on (1, 0)
    assert est.realized_variance(0) == pytest.approx(keep / (keep + 1.0), rel=1e-15)


def test_state_with_two_scales_is_refused():
    a = MultiScaleBipowerEstimator()
    _feed(a, _jumpy_returns(4, 300, 0.02, 10.0)[0])
    data = a.state_dict()
    data["state"]["rv"] = data["state"]["rv"][:2]
    with pytest.raises(StateDictError):
        MultiScaleBipowerEstimator.from_state_dict(data)
