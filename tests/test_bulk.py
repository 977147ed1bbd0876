"""Bulk kernels (online.bulk) against the streaming estimators and independent references.

Equality with the streaming path: element ``i`` of a bulk output must equal the streaming
estimator's state after its ``i``-th update to 1e-12 relative (``None`` <-> NaN). Independent
references: river ``EWMean`` and pandas ``ewm`` (tick and time decay), ``np.cov`` with explicit
weights, and a direct ``math.fsum`` over each window for the kappa posterior. Each comparison
is shown to reject a known-bad variant.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from river import stats

from online.bulk import (
    conjugate_kappa_posterior,
    ewma_variance,
    hybrid_ewma,
    parameter_covariance,
    soft_jump_path,
    tick_ewma,
    time_ewma,
)
from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.covariance import ParameterCovariance, ParameterCovarianceConfig
from online.errors import InvalidInputError
from online.ewma import HybridEWMA, TickEWMA, TickEWMAVariance, tick_alpha
from online.soft_jump import SoftJumpClassifier, SoftJumpConfig

RTOL = 1e-12


def _nan(v: float | None) -> float:
    return math.nan if v is None else v


def _close(bulk: np.ndarray, stream: object, scale: float = 0.0) -> None:
    """|bulk - stream| <= 1e-12 (|stream| + scale) elementwise, NaN exactly where stream is."""
    np.testing.assert_allclose(bulk, np.asarray(stream, dtype=float), rtol=RTOL, atol=RTOL * scale)


def _times(rng: np.random.Generator, n: int, max_gap: int = 40) -> np.ndarray:
    """Irregular non-decreasing ms timestamps with many repeats (gap 0 about 1 time in 4)."""
    gaps = rng.integers(0, max_gap, size=n)
    gaps[rng.random(n) < 0.25] = 0
    return 1_000 + np.cumsum(gaps)


# ----------------------------------------------------------------- streaming references
def _stream_tick(x, h, initial=None):
    est = TickEWMA(h, initial)
    out = []
    for v in x:
        est.update(float(v))
        out.append(est.value)
    return out


def _stream_variance(x, h, est=None):
    est = TickEWMAVariance(h) if est is None else est
    out = []
    for v in x:
        est.update(float(v))
        out.append((est.mean, est.variance))
    return np.array(out).reshape(-1, 2).T


def _stream_hybrid(x, t, h, hms, est=None):
    est = HybridEWMA(h, hms) if est is None else est
    out = []
    for v, s in zip(x, t, strict=True):
        est.update(float(v), int(s))
        out.append((est.value, est.weight_sum))
    return np.array(out).reshape(-1, 2).T


def _stream_cov(k, s, cfg=None, est=None):
    est = ParameterCovariance(cfg) if est is None else est
    out = []
    for a, b in zip(k, s, strict=True):
        est.update(float(a), float(b))
        (mk, ms), (vk, vs) = est.means(), est.variances()
        out.append((mk, ms, vk, vs, est.covariance(), _nan(est.correlation())))
    return np.array(out).reshape(-1, 6).T


def _stream_kappa(d, t, cfg=None):
    est = ConjugateBayesianKappa(cfg)
    out = []
    for a, b in zip(d, t, strict=True):
        est.update(float(a), int(b))
        post = est.posterior
        out.append((post.alpha, post.beta, est.observation_count))
    return np.array(out).reshape(-1, 3).T


def _stream_soft_jump(r, est):
    out = []
    for v in r:
        p = est.update(float(v))
        tox = _nan(est.toxicity_score())
        out.append((p, est.pi, est.sigma_diffusion, est.sigma_jump, tox))
    return np.array(out).reshape(-1, 5).T


def _returns(rng: np.random.Generator, n: int, sigma: float = 1e-4) -> np.ndarray:
    r = rng.normal(0.0, sigma, size=n)
    jumps = rng.random(n) < 0.03
    r[jumps] = rng.normal(0.0, 8 * sigma, size=jumps.sum())
    return r


# ------------------------------------------------------------------------ TickEWMA
@pytest.mark.parametrize("initial", [None, -3.0])
def test_tick_ewma_equals_streaming_on_long_offset_stream(initial):
    rng = np.random.default_rng(11)
    x = 1e8 + rng.normal(size=100_000)  # large common offset: rounding relative to 1e8
    _close(tick_ewma(x, 37.5, initial), _stream_tick(x, 37.5, initial))


def test_tick_ewma_equals_streaming_on_zero_crossing_stream():
    # values cross zero, so the tolerance is relative to the data scale max|x|
    x = np.random.default_rng(12).normal(size=20_000)
    _close(tick_ewma(x, 5.0), _stream_tick(x, 5.0), scale=np.abs(x).max())


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=40),
    st.floats(0.1, 1e4),
)
def test_tick_ewma_equals_streaming_hypothesis(xs, h):
    scale = max((abs(v) for v in xs), default=0.0)
    _close(tick_ewma(np.array(xs), h), _stream_tick(xs, h), scale=scale)


def test_tick_ewma_equals_river_ewmean():
    # river EWMean(fading_factor=f): mean <- f x + (1 - f) mean, first update sets mean = x.
    x = np.random.default_rng(13).normal(3.0, 2.0, size=20_000)
    h = 20.0
    ew = stats.EWMean(fading_factor=tick_alpha(h))
    ref = []
    for v in x:
        ew.update(v)
        ref.append(ew.get())
    _close(tick_ewma(x, h), ref)
    # the known-bad mapping fading_factor = 1/h is rejected by the same comparison
    bad = stats.EWMean(fading_factor=1.0 / h)
    bad_ref = []
    for v in x:
        bad.update(v)
        bad_ref.append(bad.get())
    with pytest.raises(AssertionError):
        _close(tick_ewma(x, h), bad_ref)


def test_tick_ewma_equals_pandas_adjust_false():
    x = np.random.default_rng(14).normal(size=5_000)
    a = tick_alpha(12.0)
    ref = pd.Series(x).ewm(alpha=a, adjust=False).mean().to_numpy()
    _close(tick_ewma(x, 12.0), ref, scale=np.abs(x).max())


def test_tick_ewma_comparison_rejects_off_by_one():
    x = np.random.default_rng(15).normal(size=1_000)
    stream = _stream_tick(x, 10.0)
    with pytest.raises(AssertionError):
        _close(np.r_[x[0], tick_ewma(x, 10.0)[:-1]], stream, scale=np.abs(x).max())


# ---------------------------------------------------------------- TickEWMAVariance
def test_ewma_variance_equals_streaming_long():
    x = 1e6 + np.random.default_rng(21).standard_t(3, size=100_000)
    mean, var = ewma_variance(x, 50.0)
    ref_mean, ref_var = _stream_variance(x, 50.0)
    _close(mean, ref_mean)
    _close(var, ref_var)


@given(st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=40), st.floats(0.1, 1e4))
def test_ewma_variance_equals_streaming_hypothesis(xs, h):
    mean, var = ewma_variance(xs, h)
    ref_mean, ref_var = _stream_variance(xs, h)
    scale = max((abs(v) for v in xs), default=0.0)
    _close(mean, ref_mean, scale=scale)
    _close(var, ref_var, scale=scale * scale)


def test_ewma_variance_equals_pandas_biased_variance():
    # pandas ewm(adjust=False).var(bias=True) is the same estimator; bias=False (the pandas
    # default) is bias-corrected and must differ.
    x = np.random.default_rng(22).normal(2.0, 3.0, size=5_000)
    a = tick_alpha(30.0)
    ew = pd.Series(x).ewm(alpha=a, adjust=False)
    var = ewma_variance(x, 30.0).variance
    _close(var, ew.var(bias=True).to_numpy())
    with pytest.raises(AssertionError):
        _close(var[1:], ew.var(bias=False).to_numpy()[1:])


def test_ewma_variance_continues_from_state():
    x = np.random.default_rng(23).normal(size=2_000)
    est = TickEWMAVariance(8.0)
    _stream_variance(x[:700], 8.0, est)
    state = json.loads(json.dumps(est.state_dict()))
    mean, var = ewma_variance(x[700:], 8.0, state=state)
    full_mean, full_var = _stream_variance(x, 8.0)
    _close(mean, full_mean[700:], scale=1.0)
    _close(var, full_var[700:])
    with pytest.raises(InvalidInputError, match="state"):
        ewma_variance(x, 9.0, state=state)


# ----------------------------------------------------------------- Hybrid / time EWMA
@pytest.mark.parametrize("hms", [1.0, 250.0, 1e7])
def test_hybrid_ewma_equals_streaming_irregular_and_repeated_times(hms):
    rng = np.random.default_rng(31)
    x = rng.normal(5.0, 1.0, size=100_000)
    t = _times(rng, len(x))
    value, weight = hybrid_ewma(x, t, 40.0, hms)
    ref_value, ref_weight = _stream_hybrid(x, t, 40.0, hms)
    _close(value, ref_value)
    _close(weight, ref_weight)


@given(
    st.lists(st.tuples(st.floats(-1e6, 1e6), st.integers(0, 1_000)), max_size=40),
    st.floats(0.1, 1e4),
    st.floats(0.5, 1e6),
)
def test_hybrid_ewma_equals_streaming_hypothesis(pairs, h, hms):
    x = [p[0] for p in pairs]
    t = np.cumsum([p[1] for p in pairs]).astype(np.int64)
    value, weight = hybrid_ewma(x, t, h, hms)
    ref_value, ref_weight = _stream_hybrid(x, t, h, hms)
    _close(value, ref_value, scale=max((abs(v) for v in x), default=0.0))
    _close(weight, ref_weight)


def test_hybrid_ewma_continues_from_state_and_constant_stays_constant():
    rng = np.random.default_rng(32)
    x = rng.normal(size=3_000)
    t = _times(rng, len(x))
    est = HybridEWMA(10.0, 100.0)
    _stream_hybrid(x[:1_000], t[:1_000], 10.0, 100.0, est)
    state = json.loads(json.dumps(est.state_dict()))
    value, weight = hybrid_ewma(x[1_000:], t[1_000:], 10.0, 100.0, state=state)
    full_value, full_weight = _stream_hybrid(x, t, 10.0, 100.0)
    _close(value, full_value[1_000:], scale=1.0)
    _close(weight, full_weight[1_000:])
    with pytest.raises(InvalidInputError, match=r"timestamps_ms\[0\]"):
        hybrid_ewma([1.0], [int(t[999]) - 1], 10.0, 100.0, state=state)
    const = hybrid_ewma(np.full(1_000, 0.1), t[:1_000], 10.0, 3.0).value
    assert np.all(const == 0.1)


def test_time_ewma_equals_pandas_times_halflife():
    rng = np.random.default_rng(33)
    x = rng.normal(1.0, 2.0, size=20_000)
    t = _times(rng, len(x))
    hms = 250.0
    ref = (
        pd.Series(x)
        .ewm(halflife=pd.Timedelta(milliseconds=hms), times=pd.to_datetime(t, unit="ms"))
        .mean()
        .to_numpy()
    )
    got = time_ewma(x, t, hms)
    _close(got, ref, scale=np.abs(x).max())
    # known-bad: a half-life in seconds mistaken for ms is rejected
    with pytest.raises(AssertionError):
        _close(time_ewma(x, t, hms * 1.001), ref, scale=np.abs(x).max())


# ------------------------------------------------------------------- covariance
def test_parameter_covariance_equals_streaming_long():
    rng = np.random.default_rng(41)
    k = 2500.0 * np.exp(rng.normal(0.0, 0.3, size=100_000))
    s = np.abs(1e-4 + 2e-8 * (k - 2500.0) + rng.normal(0.0, 1e-5, size=k.size))
    path = parameter_covariance(k, s)
    ref = _stream_cov(k, s)
    for got, want in zip(path[:6], ref, strict=True):
        _close(got, want)
    assert np.isnan(path.correlation[:19]).all() and np.isfinite(path.correlation[19:]).all()


@given(
    st.lists(st.tuples(st.floats(1e-3, 1e5), st.floats(0.0, 1.0)), max_size=40),
    st.floats(0.5, 1e3),
    st.integers(1, 30),
)
def test_parameter_covariance_equals_streaming_hypothesis(pairs, h, m):
    cfg = ParameterCovarianceConfig(half_life_ticks=h, min_observations=m)
    k = [p[0] for p in pairs]
    s = [p[1] for p in pairs]
    path = parameter_covariance(k, s, cfg)
    ref = _stream_cov(k, s, cfg)
    scales = [1e5, 1.0, 1e10, 1.0, 1e5, 1.0]
    for got, want, scale in zip(path[:6], ref, scales, strict=True):
        _close(got, want, scale=scale)


def test_parameter_covariance_equals_weighted_np_cov_and_zero_variance_is_nan():
    rng = np.random.default_rng(42)
    k = rng.uniform(1000.0, 4000.0, size=300)
    s = rng.uniform(1e-5, 1e-3, size=300)
    path = parameter_covariance(k, s)
    for i in (0, 5, 150, 299):
        w = 2.0 ** (-(i - np.arange(i + 1)) / 50.0)
        cov = np.cov(k[: i + 1], s[: i + 1], aweights=w, bias=True)
        _close([path.var_kappa[i], path.covariance[i], path.var_sigma[i]],
               [cov[0, 0], cov[0, 1], cov[1, 1]])  # fmt: skip
    # known-bad: weights with the half-life off by 2% are rejected
    w = 2.0 ** (-(299 - np.arange(300)) / 51.0)
    with pytest.raises(AssertionError):
        _close(path.covariance[299], np.cov(k, s, aweights=w, bias=True)[0, 1])
    flat = parameter_covariance(k[:40], np.full(40, 2e-4))
    assert np.isnan(flat.correlation).all()


def test_parameter_covariance_continues_from_state():
    rng = np.random.default_rng(43)
    k, s = rng.uniform(1.0, 2.0, size=500), rng.uniform(0.0, 1.0, size=500)
    est = ParameterCovariance()
    _stream_cov(k[:10], s[:10], est=est)  # fewer than min_observations: count must carry
    state = json.loads(json.dumps(est.state_dict()))
    path = parameter_covariance(k[10:], s[10:], state=state)
    ref = _stream_cov(k, s)
    for got, want in zip(path[:6], ref, strict=True):
        _close(got, want[10:])


# ------------------------------------------------------------------------ kappa
def _window_reference(d, t, cfg):
    """Direct posterior: for each i, fsum of floored distances with t_i - w < t_j <= t_i."""
    floored = np.maximum(d, cfg.min_distance)
    alpha, beta = [], []
    for i in range(len(d)):
        inside = (t[: i + 1] > t[i] - cfg.window_ms) & (t[: i + 1] <= t[i])
        alpha.append(cfg.prior_alpha + inside.sum())
        beta.append(cfg.prior_beta + math.fsum(floored[: i + 1][inside]))
    return np.array(alpha), np.array(beta)


def test_kappa_posterior_equals_streaming_long():
    rng = np.random.default_rng(51)
    n = 100_000
    d = rng.exponential(4e-4, size=n)
    d[rng.random(n) < 0.05] = 0.0  # exercises the floor
    # gaps of 0..3 s (a quarter repeated) and, about once per 1000 updates, a 400 s pause
    # that empties the 5-minute window
    pauses = np.cumsum((rng.random(n) < 1e-3) * 400_000)
    t = _times(rng, n, max_gap=20) * 150 + pauses
    alpha, beta, count = conjugate_kappa_posterior(d, t)
    ref_alpha, ref_beta, ref_count = _stream_kappa(d, t)
    np.testing.assert_array_equal(count, ref_count)
    _close(alpha, ref_alpha)
    _close(beta, ref_beta)
    assert (count == 1).sum() > 20 and count.max() > 100


@given(
    st.lists(st.tuples(st.floats(0.0, 1e-2), st.integers(0, 60)), max_size=50),
    st.integers(1, 200),
    st.floats(0.0, 1e-3),
)
def test_kappa_posterior_equals_streaming_and_direct_window_hypothesis(pairs, w, floor):
    cfg = ConjugateKappaConfig(window_ms=w, min_distance=floor)
    d = np.array([p[0] for p in pairs])
    t = np.cumsum([p[1] for p in pairs]).astype(np.int64)
    alpha, beta, _ = conjugate_kappa_posterior(d, t, cfg)
    ref_alpha, ref_beta, _ = _stream_kappa(d, t, cfg)
    _close(alpha, ref_alpha)
    _close(beta, ref_beta)
    direct_alpha, direct_beta = _window_reference(d, t, cfg)
    _close(alpha, direct_alpha)
    _close(beta, direct_beta)


def test_kappa_posterior_continues_from_state_after_advance():
    rng = np.random.default_rng(52)
    d = rng.exponential(4e-4, size=3_000)
    t = _times(rng, d.size) * 200
    est = ConjugateBayesianKappa()
    for a, b in zip(d[:1_000], t[:1_000], strict=True):
        est.update(float(a), int(b))
    est.advance(int(t[1_000]))
    state = json.loads(json.dumps(est.state_dict()))
    alpha, beta, count = conjugate_kappa_posterior(d[1_000:], t[1_000:], state=state)
    ref_alpha, ref_beta, ref_count = _stream_kappa(d, t)
    np.testing.assert_array_equal(count, ref_count[1_000:])
    _close(alpha, ref_alpha[1_000:])
    _close(beta, ref_beta[1_000:])
    with pytest.raises(InvalidInputError, match=r"timestamps_ms\[0\]"):
        conjugate_kappa_posterior([1e-4], [int(t[1_000]) - 1], state=state)
    with pytest.raises(InvalidInputError, match="state"):
        conjugate_kappa_posterior([1e-4], [int(t[1_000])], ConjugateKappaConfig(window_ms=1), state)


def test_kappa_window_boundary_is_half_open():
    # observations exactly window_ms apart: the old one is out. A closed-window variant
    # (t_j >= t_i - w) gives different counts on this stream, so the test can fail.
    cfg = ConjugateKappaConfig(window_ms=100)
    t = np.array([0, 50, 100, 100, 150, 200, 300])
    d = np.full(t.size, 1e-3)
    _, _, count = conjugate_kappa_posterior(d, t, cfg)
    np.testing.assert_array_equal(count, [1, 2, 2, 3, 3, 2, 1])
    closed = [int((t[: i + 1] >= t[i] - 100).sum()) for i in range(t.size)]
    assert not np.array_equal(count, closed)


# -------------------------------------------------------------------- soft jump
def test_soft_jump_equals_streaming_long():
    r = _returns(np.random.default_rng(61), 100_000)
    path = soft_jump_path(r, initial_sigma_diffusion=2e-4)
    ref = _stream_soft_jump(r, SoftJumpClassifier(2e-4))
    for got, want in zip(path, ref, strict=True):
        _close(got, want)
    assert np.isnan(path.toxicity[:19]).all() and np.isfinite(path.toxicity[19:]).all()


@given(
    st.lists(st.floats(-1.0, 1.0), max_size=40),
    st.floats(1e-6, 1e-2),
    st.floats(2.0, 10.0),
    st.floats(0.001, 0.5),
)
def test_soft_jump_equals_streaming_hypothesis(r, sd, ratio, step):
    cfg = SoftJumpConfig(step=step, toxicity_min_observations=5)
    path = soft_jump_path(r, cfg, sd, ratio * sd)
    ref = _stream_soft_jump(r, SoftJumpClassifier(sd, ratio * sd, cfg))
    for got, want in zip(path, ref, strict=True):
        _close(got, want, scale=1e-300)  # p_jump may underflow to ~0 in both


def test_soft_jump_continues_from_state():
    r = _returns(np.random.default_rng(62), 3_000)
    est = SoftJumpClassifier(1e-4)
    _stream_soft_jump(r[:10], est)  # toxicity not yet reported: the count must carry
    state = json.loads(json.dumps(est.state_dict()))
    path = soft_jump_path(r[10:], state=state)
    ref = _stream_soft_jump(r, SoftJumpClassifier(1e-4))
    for got, want in zip(path, ref, strict=True):
        _close(got, want[10:])
    with pytest.raises(InvalidInputError, match="state"):
        soft_jump_path(r, SoftJumpConfig(step=0.02), state=state)
    with pytest.raises(TypeError):
        soft_jump_path(r)


def test_soft_jump_comparison_rejects_wrong_step():
    r = _returns(np.random.default_rng(63), 2_000)
    ref = _stream_soft_jump(r, SoftJumpClassifier(1e-4))
    bad = soft_jump_path(r, SoftJumpConfig(step=0.0101), 1e-4)
    with pytest.raises(AssertionError):
        _close(bad.pi, ref[1])


# -------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    "call",
    [
        lambda x: tick_ewma(x, 5.0),
        lambda x: ewma_variance(x, 5.0),
        lambda x: hybrid_ewma(x, np.arange(x.size), 5.0, 10.0),
        lambda x: time_ewma(x, np.arange(x.size), 10.0),
        lambda x: soft_jump_path(x, initial_sigma_diffusion=1e-3),
    ],
)
def test_non_finite_input_names_first_bad_index(call, bad):
    x = np.ones(10)
    x[[3, 7]] = bad
    with pytest.raises(InvalidInputError) as err:
        call(x)
    assert err.value.field in ("x[3]", "returns[3]")
    assert err.value.value is not None


def test_bad_distances_timestamps_and_lengths():
    t = np.arange(5) * 10
    d = np.array([1e-4, 2e-4, -1e-4, 1e-4, -5.0])
    with pytest.raises(InvalidInputError) as err:
        conjugate_kappa_posterior(d, t)
    assert err.value.field == "distances[2]" and err.value.value == -1e-4
    with pytest.raises(InvalidInputError) as err:
        conjugate_kappa_posterior(np.abs(d), [0, 10, 9, 20, 5])
    assert err.value.field == "timestamps_ms[2]" and err.value.value == 9
    with pytest.raises(InvalidInputError, match="timestamps_ms"):
        conjugate_kappa_posterior(np.abs(d), t[:4])
    with pytest.raises(InvalidInputError, match=r"timestamps_ms\[1\]"):
        hybrid_ewma(np.ones(3), [0.0, 1.5, 2.0], 5.0, 10.0)
    with pytest.raises(InvalidInputError, match=r"timestamps_ms\[0\]"):
        time_ewma(np.ones(2), [-1, 0], 10.0)
    with pytest.raises(InvalidInputError) as err:
        parameter_covariance([1.0, 0.0], [0.1, 0.1])
    assert err.value.field == "kappa[1]"
    with pytest.raises(InvalidInputError) as err:
        parameter_covariance([1.0, 2.0], [0.1, -0.1])
    assert err.value.field == "sigma[1]"
    with pytest.raises(InvalidInputError, match="sigma"):
        parameter_covariance([1.0, 2.0], [0.1])
    with pytest.raises(InvalidInputError, match="half_life_ticks"):
        tick_ewma([1.0], 0.0)
    with pytest.raises(InvalidInputError, match="time_half_life_ms"):
        time_ewma([1.0], [0], -1.0)
    with pytest.raises(InvalidInputError, match="sigma_diffusion"):
        soft_jump_path([0.0], initial_sigma_diffusion=-1.0)
    with pytest.raises(InvalidInputError, match="x"):
        tick_ewma(np.ones((2, 2)), 5.0)


def test_overflow_raises_at_the_same_index_as_streaming():
    x = np.array([0.0, 1.0, 1e300, -1e300, 2.0])
    est = TickEWMAVariance(2.0)
    for i, v in enumerate(x):
        try:
            est.update(float(v))
        except InvalidInputError:
            stream_index = i
            break
    with pytest.raises(InvalidInputError) as err:
        ewma_variance(x, 2.0)
    assert err.value.field == f"x[{stream_index}]"
    with pytest.raises(InvalidInputError, match=r"returns\[1\]"):
        soft_jump_path([0.0, 1e200], initial_sigma_diffusion=1e-3)


def test_empty_inputs_give_empty_outputs():
    assert tick_ewma([], 5.0).size == 0
    assert time_ewma([], [], 5.0).size == 0
    assert all(a.size == 0 for a in parameter_covariance([], []))
    assert all(a.size == 0 for a in conjugate_kappa_posterior([], []))
    assert all(a.size == 0 for a in soft_jump_path([], initial_sigma_diffusion=1e-3))
