"""UnifiedParameterEstimator: wiring, closed-form posteriors, sampling tolerances, legacy paths,
validation before mutation and exact state round trips."""

from __future__ import annotations

import json
import math
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from online.bipower import MultiScaleBipowerEstimator
from online.errors import InvalidInputError, StateDictError
from online.market_params import EstimatorVersion, MarketParams
from online.soft_jump import SoftJumpClassifier
from online.unified import UnifiedEstimatorConfig, UnifiedParameterEstimator
from online.volume_clock import VolumeClockConfig

V2 = EstimatorVersion.all_enabled()
V1 = EstimatorVersion.legacy_v1()
A0, B0, FLOOR = 5.0, 5.0 / 2500.0, 1e-5
MID = 100.0
TICK = 0.01
LEVELS = np.arange(1, 11)


def make(version: EstimatorVersion = V2, **kwargs) -> UnifiedParameterEstimator:
    return UnifiedParameterEstimator(UnifiedEstimatorConfig(version=version, **kwargs))


def book(mid: float, kappa_book: float = 2000.0):
    """Book with sizes exactly 1000 exp(-kappa_book d) at d = |level - mid| / mid."""
    bp, ap = mid - TICK * LEVELS, mid + TICK * LEVELS
    bs = 1000.0 * np.exp(-kappa_book * (mid - bp) / mid)
    as_ = 1000.0 * np.exp(-kappa_book * (ap - mid) / mid)
    return bp, bs, ap, as_


def gamma_summary(alpha: float, beta: float) -> tuple[float, float, float, float]:
    """(mean, sd, 2.5%, 97.5%) of Gamma(alpha, rate beta) from scipy."""
    g = stats.gamma(a=alpha, scale=1.0 / beta)
    return g.mean(), g.std(), g.ppf(0.025), g.ppf(0.975)


def assert_kappa(p: MarketParams, expected: tuple[float, float, float, float]) -> None:
    got = (p.kappa, p.kappa_uncertainty, p.kappa_95_lower, p.kappa_95_upper)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def trade_stream(seed: int, n: int, kappa: float, spacing_ms: int = 500, sizes=None):
    """(prices, sizes, sides, times) of trades at d ~ Exp(kappa) on either side of MID."""
    rng = np.random.default_rng(seed)
    d = rng.exponential(1.0 / kappa, n)
    buy = rng.random(n) < 0.5
    prices = np.where(buy, MID * (1 + d), MID * (1 - d))
    sz = np.ones(n) if sizes is None else sizes(rng, n)
    times = 1000 + spacing_ms * np.arange(1, n + 1)
    return prices, sz, buy, times


def feed_trades(est, prices, sizes, sides, times) -> None:
    for p, s, b, t in zip(prices, sizes, sides, times, strict=True):
        est.on_trade(float(p), float(s), bool(b), int(t))


# ----------------------------------------------------------------------------- kappa


def test_market_kappa_is_exact_conjugate_posterior_over_window():
    est = make()
    est.on_l2_book(*book(MID), 1000)
    prices, sizes, sides, times = trade_stream(seed=1, n=900, kappa=2500.0)
    feed_trades(est, prices, sizes, sides, times)
    now = int(times[-1])
    keep = times > now - 300_000
    d = np.maximum(np.abs(prices[keep] - MID) / MID, FLOOR)
    assert est.kappa_source == "market_trades"
    assert keep.sum() == 600
    assert_kappa(est.params(), gamma_summary(A0 + d.size, B0 + d.sum()))


def test_kappa_prior_before_any_trade():
    est = make()
    est.on_l2_book(*book(MID), 0)
    assert est.kappa_source == "prior"
    assert_kappa(est.params(), gamma_summary(A0, B0))


def _covers(version: EstimatorVersion, seed: int, kappa: float) -> bool:
    est = make(version)
    est.on_l2_book(*book(MID), 1000)

    def sizes(rng, n):
        return rng.integers(50, 151, n).astype(float)  # mean 100 shares

    feed_trades(est, *trade_stream(seed, 150, kappa, sizes=sizes))
    p = est.params()
    return p.kappa_95_lower <= kappa <= p.kappa_95_upper


def test_market_kappa_interval_coverage_and_volume_weighted_fails():
    """95% intervals over 40 seeded streams: count-based covers the true kappa at the nominal
    rate (>= 33 of 40; P(<= 32 | 0.95) = 1.1e-3), the V1 volume-weighted one does not (its
    interval is ~sqrt(100) = 10x too narrow: coverage about 2 Phi(0.196) - 1 = 16%)."""
    kappa = 2500.0
    v2 = sum(_covers(V2, seed, kappa) for seed in range(40))
    v1 = sum(_covers(V1, seed, kappa) for seed in range(40))
    assert stats.binom.cdf(32, 40, 0.95) < 2e-3
    assert v2 >= 33, v2
    assert v1 < 33, v1


def test_volume_weighted_interval_width_differs_as_computed():
    """Sizes != 1: V1 counts volume, Gamma(a0 + sum v, b0 + sum v d); V2 counts trades."""
    prices, _, sides, times = trade_stream(seed=3, n=200, kappa=2500.0)
    sizes = np.random.default_rng(30).integers(1, 400, 200).astype(float)
    d = np.maximum(np.abs(prices - MID) / MID, FLOOR)
    out = {}
    for version in (V2, V1):
        est = make(version)
        est.on_l2_book(*book(MID), 1000)
        feed_trades(est, prices, sizes, sides, times)
        out[version] = est.params()
    assert_kappa(out[V2], gamma_summary(A0 + d.size, B0 + d.sum()))
    assert_kappa(out[V1], gamma_summary(A0 + sizes.sum(), B0 + (sizes * d).sum()))
    width = {v: p.kappa_95_upper - p.kappa_95_lower for v, p in out.items()}
    assert width[V1] < width[V2] / 5.0


def test_hierarchical_prior_moment_matched_to_market_posterior():
    """Own posterior Gamma(a_p + n, a_p / k_m + sum d), k_m = A / B the market posterior mean,
    a_p = a0 A / (a0 + A); with adverse moves the reported posterior is phi * kappa."""
    est = make()
    est.on_l2_book(*book(MID), 1000)
    prices, sizes, sides, times = trade_stream(seed=4, n=100, kappa=3000.0)
    feed_trades(est, prices, sizes, sides, times)
    dm = np.maximum(np.abs(prices - MID) / MID, FLOOR)
    big_a, big_b = A0 + dm.size, B0 + dm.sum()
    k_m, a_p = big_a / big_b, A0 * big_a / (A0 + big_a)

    rng = np.random.default_rng(40)
    own_d = rng.exponential(1.0 / 1500.0, 12)
    moves = rng.normal(2.0, 1.0, 12)
    t0 = int(times[-1])
    for i, (d, m) in enumerate(zip(own_d, moves, strict=True)):
        if i == 9:
            assert est.kappa_source == "market_trades"  # 9 fills < min_fills = 10
        est.on_own_fill(MID * (1 - d), 100.0, True, t0 + 10 * (i + 1), adverse_move_bps=m)
    assert est.kappa_source == "own_fills"
    do = np.maximum(own_d, FLOOR)
    # adverse-selection EWMA with the explicit weight vector (first move weight (1-a)^(n-1))
    a = 1.0 - 2.0 ** (-1.0 / 50.0)
    n = moves.size
    w = a * (1.0 - a) ** (n - 1 - np.arange(n))
    w[0] = (1.0 - a) ** (n - 1)
    phi = 0.5 + 0.5 * math.exp(-0.2 * max(float(w @ moves), 0.0))
    mean, sd, lo, hi = gamma_summary(a_p + n, a_p / k_m + do.sum())
    p = est.params()
    assert_kappa(p, (phi * mean, phi * sd, phi * lo, phi * hi))
    # the check can fail: a prior that ignores the market's uncertainty (a_p = a0) differs
    naive = gamma_summary(A0 + n, A0 / k_m + do.sum())
    assert abs(p.kappa / (phi * naive[0]) - 1.0) > 1e-3


def test_hierarchical_prior_from_l2_book_before_market_trades():
    """No market trade: prior mean = the L2 kappa (exact depth profile: kappa_book) with the
    L2 confidence (R^2 = 1 on every snapshot: 1)."""
    est = make()
    kappa_book = 1800.0
    for t in range(5):
        est.on_l2_book(*book(MID, kappa_book), 1000 + t)
    own_d = np.random.default_rng(5).exponential(1.0 / 1500.0, 10)
    for i, d in enumerate(own_d):
        est.on_own_fill(MID * (1 + d), 100.0, False, 2000 + i)
    do = np.maximum(own_d, FLOOR)
    assert_kappa(est.params(), gamma_summary(A0 + 10, A0 / kappa_book + do.sum()))


def test_linear_blend_in_legacy_mode():
    """V1: kappa = c n / sum d + (1 - c) k_m, c = n / (n + a0), k_m the V1 (volume-weighted)
    market posterior mean; 'posterior' Gamma(a0 + n, (a0 + n) / kappa)."""
    est = make(V1)
    est.on_l2_book(*book(MID), 1000)
    prices, _, sides, times = trade_stream(seed=6, n=80, kappa=3000.0)
    sizes = np.full(80, 7.0)
    feed_trades(est, prices, sizes, sides, times)
    dm = np.maximum(np.abs(prices - MID) / MID, FLOOR)
    k_m = (A0 + sizes.sum()) / (B0 + (sizes * dm).sum())
    own_d = np.maximum(np.random.default_rng(60).exponential(1.0 / 1200.0, 15), FLOOR)
    for i, d in enumerate(own_d):
        est.on_own_fill(MID * (1 - d), 100.0, True, int(times[-1]) + i, adverse_move_bps=5.0)
    n = own_d.size
    c = n / (n + A0)
    kappa = c * n / own_d.sum() + (1 - c) * k_m
    assert_kappa(est.params(), gamma_summary(A0 + n, (A0 + n) / kappa))


# ----------------------------------------------------------------------------- sigma


SIGMA_S = 1e-3  # per sqrt(second)
SPACING_MS = 250  # 4 buckets per second


def sigma_stream(version: EstimatorVersion, seed: int, n: int = 3000, jump_every: int = 0):
    """One 100-share trade per bucket at the mid of a Gaussian random walk in log price
    (plus a 6-sigma move every ``jump_every`` buckets when > 0), each after a one-level book
    quoted 1 bp either side of that mid."""
    clock = VolumeClockConfig(initial_threshold=100.0, min_threshold=100.0, max_threshold=100.0)
    est = make(version, volume_clock=clock)
    rng = np.random.default_rng(seed)
    sd = SIGMA_S * math.sqrt(SPACING_MS / 1000.0)
    steps = rng.normal(0.0, sd, n)
    if jump_every:
        steps[::jump_every] += 6.0 * sd * rng.choice([-1.0, 1.0], steps[::jump_every].size)
    prices = MID * np.exp(np.cumsum(steps))
    for i, p in enumerate(prices):
        t = SPACING_MS * (i + 1)
        est.on_l2_book([p * (1.0 - 1e-4)], [100.0], [p * (1.0 + 1e-4)], [100.0], t)
        est.on_trade(float(p), 100.0, bool(i % 2), t)
    return est, prices


def test_sigma_is_bipower_clean_times_sqrt_intensity():
    est, prices = sigma_stream(V2, seed=7, n=400)
    ref = MultiScaleBipowerEstimator()
    for r in np.diff(np.log(prices)):
        ref.update(float(r))
    p = est.params()
    lam = 1000.0 / SPACING_MS
    np.testing.assert_allclose(p.sigma, ref.sigma_clean * math.sqrt(lam), rtol=1e-9)
    np.testing.assert_allclose(p.sigma_effective, ref.sigma_effective * math.sqrt(lam), rtol=1e-9)
    np.testing.assert_allclose(p.jump_ratio, ref.jump_ratio, rtol=1e-12)
    assert est.kappa_source == "market_trades"


@pytest.mark.parametrize("version", [V2, V1], ids=["soft", "binary"])
def test_jump_classifier_wiring(version):
    """Each bucket return r_t is classified with sigma_d = the clean sd of a return of its
    span (sqrt of ``diffusive_variance``) from the returns before it; toxicity = the 50-tick
    weighted mean of P(jump).
    V1: P = 1[|r| > 3 sigma_d] computed here with numpy."""
    est, prices = sigma_stream(version, seed=13, n=300, jump_every=25)
    returns = np.diff(np.log(prices))
    bip = MultiScaleBipowerEstimator()
    sigma_prev = []
    for r in returns:
        var = bip.diffusive_variance(SPACING_MS)
        sigma_prev.append(None if var is None else math.sqrt(var))
        bip.update(float(r), SPACING_MS)
    first = next(i for i, v in enumerate(sigma_prev) if v is not None)
    r, sig = returns[first:], np.array(sigma_prev[first:], dtype=float)
    if version.use_soft_jumps:
        soft = SoftJumpClassifier(sig[0])
        probs = []
        for x, sd in zip(r, sig, strict=True):
            soft.set_sigma_diffusion(float(sd))
            probs.append(soft.update(float(x)))
        probs = np.array(probs)
        assert np.mean((probs > 0.0) & (probs < 1.0)) > 0.9  # soft, not 0/1
    else:
        probs = (np.abs(r) > 3.0 * sig).astype(float)
        assert probs.sum() >= 5  # some of the 12 injected 6-sigma moves
    w = 2.0 ** (-(probs.size - 1 - np.arange(probs.size)) / 50.0)
    np.testing.assert_allclose(est.params().toxicity_score, w @ probs / w.sum(), rtol=1e-9)


SIGMA_RTOL = 0.20
"""Sampling tolerance on sigma: the slow bipower EWMA (half-life 100 buckets) has relative
sd about 4.8% for Gaussian returns (sum of squared weights alpha/(2 - alpha) = 0.0035 times
the relative variance 2.61 of the lag-correlated products |r_t||r_t-1|, halved for the root),
so 20% is about 4 sd."""


def test_sigma_recovers_known_sigma_and_one_second_ewma_does_not():
    est, _ = sigma_stream(V2, seed=8)
    p = est.params()
    assert abs(p.sigma / SIGMA_S - 1.0) < SIGMA_RTOL
    assert abs(p.sigma_effective / SIGMA_S - 1.0) < SIGMA_RTOL
    legacy, _ = sigma_stream(V1, seed=8)
    q = legacy.params()
    # V1 takes the per-bucket sd (sigma sqrt(0.25 s)) for a per-second one: half the truth.
    assert abs(q.sigma / SIGMA_S - 1.0) > SIGMA_RTOL
    assert abs(q.sigma / (SIGMA_S * math.sqrt(SPACING_MS / 1000.0)) - 1.0) < SIGMA_RTOL
    assert math.isnan(q.param_correlation)


# ----------------------------------------------------------------------------- full stream


def full_stream(seed: int, n: int = 3000):
    """Events (handler, args) of a synthetic market: books, trades, own fills."""
    rng = np.random.default_rng(seed)
    mid, t = MID, 0
    events = []
    for i in range(n):
        t += int(rng.integers(1, 200))
        mid *= math.exp(2e-4 * rng.standard_normal())
        if i % 4 == 0:
            events.append(("book", (*book(mid), t)))
        buy = bool(rng.random() < 0.5)
        d = rng.exponential(1.0 / 2500.0)
        price = mid * (1 + d) if buy else mid * (1 - d)
        events.append(("trade", (price, float(rng.integers(1, 500)), buy, t)))
        if i % 15 == 0:
            fill = mid * (1 + rng.exponential(1.0 / 2000.0))
            events.append(("fill", (fill, 100.0, False, t, float(rng.normal(1.0, 1.0)))))
    return events


def apply(est, events) -> None:
    for kind, args in events:
        {"book": est.on_l2_book, "trade": est.on_trade, "fill": est.on_own_fill}[kind](*args)


def test_params_finite_once_warm_and_counts():
    est = make()
    events = full_stream(seed=10)
    apply(est, events)
    p = est.params()
    assert p.is_complete(), p
    assert -1.0 <= p.param_correlation <= 1.0
    assert 0.0 <= p.toxicity_score <= 1.0
    assert p.kappa_95_lower < p.kappa < p.kappa_95_upper
    assert est.counts == {
        "trade": sum(k == "trade" for k, _ in events),
        "l2_book": sum(k == "book" for k, _ in events),
        "own_fill": sum(k == "fill" for k, _ in events),
    }
    assert p.timestamp_ms == events[-1][1][3]
    legacy = make(V1)
    apply(legacy, events)
    q = legacy.params()
    assert math.isnan(q.param_correlation)
    assert all(math.isfinite(v) for k, v in q.to_dict().items() if k != "param_correlation")


def test_state_dict_rejects_inconsistent_state():
    est = make()
    apply(est, full_stream(seed=12, n=50))
    data = json.loads(json.dumps(est.state_dict()))
    data["state"]["clock"]["config"]["min_threshold"] = 50.0
    with pytest.raises(StateDictError):
        UnifiedParameterEstimator.from_state_dict(data)
    data = json.loads(json.dumps(est.state_dict()))
    data["config"]["version"]["use_param_covariance"] = False
    with pytest.raises(StateDictError):
        UnifiedParameterEstimator.from_state_dict(data)
    with pytest.raises(StateDictError):
        UnifiedParameterEstimator.from_state_dict({**data, "kind": "VolumeClock"})


def test_fields_nan_before_data():
    p = make().params()
    for name in ("sigma", "sigma_effective", "microprice", "jump_ratio", "toxicity_score"):
        assert math.isnan(getattr(p, name)), name
    assert math.isnan(p.param_correlation)
    assert p.timestamp_ms == -1


def test_own_fill_before_book_is_counted_not_used():
    est = make()
    est.on_own_fill(100.0, 1.0, True, 5)
    assert est.skipped["own_fills_without_mid"] == 1
    assert est.counts["own_fill"] == 1


# ----------------------------------------------------------------------------- bad input


@lru_cache(maxsize=2)
def warm_state(legacy: bool) -> str:
    est = make(V1 if legacy else V2)
    apply(est, full_stream(seed=11, n=300))
    return json.dumps(est.state_dict())


NAN, INF = float("nan"), float("inf")
# the unified estimator's own ranges (generic bad input: tests/test_estimator_contracts.py)
BAD = {
    "price": [-INF, 1e13, 1e-9],
    "size": [-INF, 1e16],
    "is_buy": [1, 0, 0.5],
}


def _last_t(state: str) -> int:
    return json.loads(state)["state"]["last_ms"]


def _check_rejected(legacy: bool, call, field: str) -> None:
    state = warm_state(legacy)
    est = UnifiedParameterEstimator.from_state_dict(json.loads(state))
    with pytest.raises(InvalidInputError) as err:
        call(est, _last_t(state))
    assert err.value.field == field
    assert json.dumps(est.state_dict()) == state


@settings(max_examples=30)
@given(legacy=st.booleans(), field=st.sampled_from(sorted(BAD)), data=st.data())
def test_bad_trade_and_fill_leave_state_unchanged(legacy, field, data):
    bad = data.draw(st.sampled_from(BAD[field]))

    def call(handler):
        def run(est, t):
            args = {"price": 100.0, "size": 10.0, "is_buy": True, "timestamp_ms": t}
            args[field] = bad
            handler(est)(**args)

        return run

    _check_rejected(legacy, call(lambda e: e.on_trade), field)
    _check_rejected(legacy, call(lambda e: e.on_own_fill), field)


@settings(max_examples=20)
@given(legacy=st.booleans(), bad=st.sampled_from([-INF, 1e9, -1e9]))
def test_bad_adverse_move_leaves_state_unchanged(legacy, bad):
    _check_rejected(
        legacy, lambda e, t: e.on_own_fill(100.0, 1.0, True, t, bad), "adverse_move_bps"
    )


def _bad_books():
    bp, bs, ap, as_ = book(MID)
    nan = float("nan")
    yield "crossed", ((ap, bs, bp, as_), "ask_prices")
    yield "nan best bid", ((np.r_[nan, bp[1:]], np.r_[0.0, bs[1:]], ap, as_), "bid_prices")
    yield "negative size", ((bp, np.r_[-1.0, bs[1:]], ap, as_), "bid_sizes")
    yield "nan size", ((bp, np.r_[nan, bs[1:]], ap, as_), "bid_sizes")
    yield (
        "both level-1 sizes zero",
        ((bp, np.r_[0.0, bs[1:]], ap, np.r_[0.0, as_[1:]]), "ask_sizes"),
    )
    yield "mismatched lengths", ((bp, bs[:-1], ap, as_), "bid_sizes")
    yield "empty", ((np.array([]), np.array([]), ap, as_), "bid_prices")
    yield "two-dimensional", ((bp[None, :], bs[None, :], ap, as_), "bid_prices")
    yield "bids not decreasing", ((bp[::-1], bs, ap, as_), "bid_prices")
    yield "strings", ((["a"] * 10, bs, ap, as_), "bid_prices")
    yield "inf price", ((np.r_[bp[:-1], np.inf], bs, ap, as_), "bid_prices")
    yield "price out of range", ((bp * 1e11, bs, ap * 1e11, as_), "bid_prices")


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("case", list(_bad_books()), ids=[c for c, _ in _bad_books()])
def test_bad_book_leaves_state_unchanged(legacy, case):
    _, (arrays, field) = case
    _check_rejected(legacy, lambda e, t: e.on_l2_book(*arrays, t), field)
    _check_rejected(legacy, lambda e, t: e.on_l2_book(*book(MID), t - 1), "timestamp_ms")
