"""V1 estimators: each reproduces its documented flaw exactly (checked against numpy/scipy
formulas on the raw data), validates before mutating and round-trips its state."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from online.errors import InvalidInputError
from online.legacy import (
    BinaryJumpClassifier,
    LinearBlendKappa,
    OneSecondEWMAConfig,
    OneSecondEWMAVariance,
    VolumeWeightedKappa,
)
from online.soft_jump import SoftJumpClassifier

A0, B0, FLOOR, WINDOW = 5.0, 5.0 / 2500.0, 1e-5, 300_000


def window_stream(seed: int, n: int = 800):
    rng = np.random.default_rng(seed)
    d = rng.exponential(1.0 / 2500.0, n)
    d[::50] = 0.0  # exercise the floor
    v = rng.integers(1, 300, n).astype(float)
    t = np.cumsum(rng.integers(0, 1500, n))
    return d, v, t


def test_volume_weighted_kappa_counts_volume():
    d, v, t = window_stream(1)
    est = VolumeWeightedKappa()
    for di, vi, ti in zip(d, v, t, strict=True):
        est.update(float(di), float(vi), int(ti))
    keep = t > t[-1] - WINDOW
    assert keep.sum() < len(t)  # the window evicted something
    df = np.maximum(d[keep], FLOOR)
    alpha, beta = A0 + v[keep].sum(), B0 + (v[keep] * df).sum()
    post = est.posterior
    np.testing.assert_allclose([post.alpha, post.beta], [alpha, beta], rtol=1e-12)
    expected = stats.gamma.ppf([0.025, 0.975], a=alpha, scale=1.0 / beta)
    np.testing.assert_allclose(est.credible_interval(0.95), expected, rtol=1e-12)
    # the flaw: the count-based posterior has shape a0 + n, far smaller
    assert post.alpha > 50 * (A0 + keep.sum())


def test_linear_blend_kappa_formula():
    rng = np.random.default_rng(2)
    est = LinearBlendKappa()
    assert est.kappa == 2500.0  # kappa_market with no fill
    est.update_market_kappa(3200.0)
    d = rng.exponential(1.0 / 1000.0, 30)
    t = np.arange(30) * 20_000  # 20 s apart: the 5 min window keeps the last 15
    for di, ti in zip(d, t, strict=True):
        est.update_from_fill(float(di), int(ti))
    keep = t > t[-1] - WINDOW
    n, s = int(keep.sum()), float(np.maximum(d[keep], FLOOR).sum())
    c = n / (n + A0)
    kappa = c * n / s + (1 - c) * 3200.0
    assert est.fill_count == n == 15
    np.testing.assert_allclose(est.kappa, kappa, rtol=1e-12)
    post = est.posterior
    np.testing.assert_allclose([post.alpha, post.mean], [A0 + n, kappa], rtol=1e-12)
    assert est.is_ready


def test_binary_jump_is_a_hard_threshold_unlike_the_soft_classifier():
    sigma = 1e-3
    est = BinaryJumpClassifier(sigma)
    soft = SoftJumpClassifier(sigma)
    assert est.jump_probability(2.99 * sigma) == 0.0
    assert est.jump_probability(-3.01 * sigma) == 1.0
    p_lo, p_hi = soft.jump_probability(2.99 * sigma), soft.jump_probability(3.01 * sigma)
    assert 0.3 < p_lo < p_hi < 0.7  # the soft boundary near 3.04 sigma is gradual


def test_binary_jump_toxicity_is_weighted_mean_of_flags():
    rng = np.random.default_rng(3)
    sigma = 2e-4
    r = rng.standard_t(3, 120) * sigma
    est = BinaryJumpClassifier(sigma)
    flags = []
    for i, x in enumerate(r):
        flags.append(est.update(float(x)))
        if i == 18:
            assert est.toxicity_score() is None  # 19 < 20 observations
    flags = np.array(flags)
    np.testing.assert_array_equal(flags, (np.abs(r) > 3 * sigma).astype(float))
    assert 0 < flags.sum() < flags.size
    w = 2.0 ** (-(r.size - 1 - np.arange(r.size)) / 50.0)
    np.testing.assert_allclose(est.toxicity_score(), w @ flags / w.sum(), rtol=1e-12)


def test_one_second_ewma_ignores_gaps_and_matches_weighted_variance():
    rng = np.random.default_rng(4)
    x = rng.normal(0.0, 1e-3, 500)
    decay = 2.0 ** (-1000.0 / 100_000.0)
    w = decay ** (x.size - 1 - np.arange(x.size))
    expected = np.cov(x, aweights=w, bias=True)
    results = []
    for times in (np.arange(500) * 250, np.cumsum(rng.integers(1, 10_000, 500))):
        est = OneSecondEWMAVariance()
        for xi, ti in zip(x, times, strict=True):
            est.update(float(xi), int(ti))
        results.append(est.variance)
    np.testing.assert_allclose(results[0], expected, rtol=1e-10)
    assert results[0] == results[1]  # the timestamps do not matter: the flaw
    assert est.sigma_per_sqrt_s == math.sqrt(results[1])


def test_one_second_ewma_variance_stays_nonnegative_when_the_decay_is_near_zero():
    """Half-life 1.5 ms: decay 2**(-667), W = 1 after every update; the product form of West's
    update rounded S to -3.5e-23 on this stream and sigma_per_sqrt_s raised a domain error."""
    est = OneSecondEWMAVariance(OneSecondEWMAConfig(time_half_life_ms=1.5))
    x = np.random.default_rng(197).normal(0.0, 1e-3, 2000)
    for i, xi in enumerate(x):
        est.update(float(xi), 10 * i)
        assert est.variance >= 0.0 and est.sigma_per_sqrt_s >= 0.0
    # at W = 1 the variance is (x_n - x_{n-1})^2 times (W - 1) / W, essentially 0
    assert est.variance < 1e-200


def _estimators():
    yield "volume_weighted", VolumeWeightedKappa(), lambda e, i: e.update(1e-4 * i, 2.0 + i, i)
    yield "linear_blend", LinearBlendKappa(), lambda e, i: e.update_from_fill(1e-4 * i, i)
    yield "binary_jump", BinaryJumpClassifier(1e-3), lambda e, i: e.update(1e-3 * (i % 7 - 3))
    yield "one_second", OneSecondEWMAVariance(), lambda e, i: e.update(0.1 * i - 2.0, 10 * i)


# overflows specific to each estimator (generic bad input: tests/test_estimator_contracts.py)
BAD_CALLS = [
    ("volume_weighted", lambda e: e.update(1e300, 1e300, 100), "size"),
    ("linear_blend", lambda e: e.update_market_kappa(1e-320), "kappa"),
    ("one_second", lambda e: e.update(1e300, 1000), "observation"),
]


@pytest.mark.parametrize("name,call,field", BAD_CALLS)
def test_bad_input_leaves_state_unchanged(name, call, field):
    est, step = next((e, s) for n, e, s in _estimators() if n == name)
    for i in range(10, 40):
        step(est, i)
    before = json.dumps(est.state_dict())
    with pytest.raises(InvalidInputError) as err:
        call(est)
    assert err.value.field == field
    assert json.dumps(est.state_dict()) == before
