"""MarketKappaFromL2 and fit_side: OLS vs scipy, exponential books, fallback, clamp, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from online.errors import InvalidInputError, StateDictError
from online.l2_kappa import BookFit, L2KappaConfig, MarketKappaFromL2, fit_side

TICK = 0.01


def exp_book(mid: float, kappa_bid: float, kappa_ask: float, levels: int = 10, a: float = 500.0):
    """Prices one tick apart from a half-tick spread; sizes exactly a exp(-kappa d)."""
    bp = mid - TICK / 2 - TICK * np.arange(levels)
    ap = mid + TICK / 2 + TICK * np.arange(levels)
    bs = a * np.exp(-kappa_bid * (mid - bp) / mid)
    as_ = a * np.exp(-kappa_ask * (ap - mid) / mid)
    return bp, bs, ap, as_


def test_fit_side_equals_linregress_on_random_books():
    rng = np.random.default_rng(11)
    for _ in range(500):
        n = int(rng.integers(3, 21))
        d = np.sort(rng.uniform(0, 5e-3, n))
        s = rng.integers(1, 5000, n).astype(float)
        fit = fit_side(d, s)
        ref = stats.linregress(d, np.log(s))
        assert fit.n_levels == n
        assert fit.slope == pytest.approx(ref.slope, rel=1e-12, abs=1e-12 * abs(ref.slope) + 1e-9)
        assert fit.intercept == pytest.approx(ref.intercept, rel=1e-12, abs=1e-12)
        assert fit.r_squared == pytest.approx(ref.rvalue**2, rel=1e-12, abs=1e-13)
        assert fit.usable == (ref.rvalue**2 >= 0.3 and ref.slope < 0)


def test_fit_side_uses_only_occupied_levels():
    d = np.array([1e-4, 2e-4, np.nan, 4e-4, 5e-4])
    s = np.array([900.0, 400.0, 0.0, 100.0, 0.0])
    fit = fit_side(d, s)
    ref = stats.linregress([1e-4, 2e-4, 4e-4], np.log([900.0, 400.0, 100.0]))
    assert fit.n_levels == 3
    assert fit.slope == pytest.approx(ref.slope, rel=1e-12)
    assert fit.r_squared == pytest.approx(ref.rvalue**2, rel=1e-12)


def test_fit_side_degenerate_cases():
    assert fit_side(np.array([1e-4, 2e-4]), np.array([5.0, 3.0])).usable is False  # 2 levels
    flat = fit_side(np.array([1e-4, 2e-4, 3e-4]), np.array([7.0, 7.0, 7.0]))
    assert flat.slope == 0.0 and flat.r_squared == 0.0 and not flat.usable
    same_d = fit_side(np.array([1e-4, 1e-4, 1e-4]), np.array([1.0, 2.0, 3.0]))
    assert math.isnan(same_d.slope) and not same_d.usable
    rising = fit_side(np.array([1e-4, 2e-4, 3e-4]), np.array([1.0, 2.0, 4.0]))
    assert rising.r_squared > 0.9 and rising.slope > 0 and not rising.usable
    with pytest.raises(InvalidInputError):
        fit_side(np.array([1e-4, 2e-4]), np.array([1.0, -2.0]))
    with pytest.raises(InvalidInputError):
        fit_side(np.array([1e-4, 2e-4]), np.array([1.0]))


@pytest.mark.parametrize("kappa", [300.0, 2000.0, 7000.0])
def test_exact_exponential_book_recovers_kappa(kappa):
    est = MarketKappaFromL2()
    out = est.on_book(*exp_book(100.0, kappa, kappa), timestamp_ms=0)
    assert out == pytest.approx(kappa, rel=1e-9)
    bid, ask = est.last_fits
    assert bid.r_squared == pytest.approx(1.0, abs=1e-12) and bid.usable and ask.usable
    assert -bid.slope == pytest.approx(kappa, rel=1e-9)
    assert est.confidence == pytest.approx(1.0, abs=1e-12)


def test_sides_combined_by_r_squared_weights_and_ewma():
    cfg = L2KappaConfig(half_life_snapshots=3.0)
    est = MarketKappaFromL2(cfg)
    rng = np.random.default_rng(5)
    alpha = 1 - 2 ** (-1 / 3.0)
    expected = None
    for t in range(30):
        bp, bs, ap, as_ = exp_book(50.0, 1500.0, 2500.0)
        bs = bs * np.exp(rng.normal(0, 0.1, bs.size))
        as_ = as_ * np.exp(rng.normal(0, 0.3, as_.size))
        est.on_book(bp, bs, ap, as_, t)
        mid = 50.0
        fits = [
            stats.linregress((mid - bp) / mid, np.log(bs)),
            stats.linregress((ap - mid) / mid, np.log(as_)),
        ]
        w = [f.rvalue**2 for f in fits if f.rvalue**2 >= 0.3 and f.slope < 0]
        k = [-f.slope for f in fits if f.rvalue**2 >= 0.3 and f.slope < 0]
        snap = float(np.clip(np.dot(w, k) / np.sum(w), 50, 10_000))
        expected = snap if expected is None else expected + alpha * (snap - expected)
        assert est.kappa == pytest.approx(expected, rel=1e-10)
    assert est.fallback_count == 0


def test_fallback_is_skipped_and_counted():
    est = MarketKappaFromL2(L2KappaConfig(half_life_snapshots=2.0))
    rising = exp_book(100.0, -3000.0, -3000.0)  # depth grows away from the mid: unusable
    assert est.on_book(*rising, 0) == 2000.0  # prior before any usable snapshot
    assert est.fallback_count == 1 and est.confidence == 0.01
    est.on_book(*exp_book(100.0, 800.0, 800.0), 1)
    assert est.kappa == pytest.approx(800.0, rel=1e-9)
    conf_before = est.confidence
    for t in range(2, 6):
        assert est.on_book(*rising, t) == pytest.approx(800.0, rel=1e-9)  # skipped, not 2000
    assert est.fallback_count == 5 and est.snapshot_count == 6
    assert est.confidence == pytest.approx(max(0.01, conf_before * 0.5**2), rel=1e-12)
    # negative slope but R^2 < 0.3 on both sides: also a fallback
    bp, _, ap, _ = exp_book(100.0, 800.0, 800.0)
    zigzag = np.array([100.0, 1.0, 90.0, 1.0, 80.0, 1.0, 70.0, 1.0, 60.0, 1.0])
    ref = stats.linregress((100.0 - bp) / 100.0, np.log(zigzag))
    assert ref.slope < 0 and ref.rvalue**2 < 0.3
    assert est.on_book(bp, zigzag, ap, zigzag, 6) == pytest.approx(800.0, rel=1e-9)
    assert est.fallback_count == 6
    assert est.last_fits[0].r_squared == pytest.approx(ref.rvalue**2, rel=1e-12)


def test_clamp():
    est = MarketKappaFromL2()
    assert est.on_book(*exp_book(100.0, 50_000.0, 50_000.0, a=1e30), 0) == 10_000.0
    est = MarketKappaFromL2()
    assert est.on_book(*exp_book(100.0, 10.0, 10.0), 0) == 50.0


def _bad_inputs():
    bp, bs, ap, as_ = exp_book(100.0, 2000.0, 2000.0)
    crossed_ap = ap.copy()
    crossed_ap[0] = bp[0]
    nan_size = bs.copy()
    nan_size[2] = np.nan
    neg = as_.copy()
    neg[1] = -1.0
    empty_bid = np.full_like(bp, np.nan)
    unsorted = bp.copy()
    unsorted[[1, 2]] = unsorted[[2, 1]]
    nan_price_with_size = ap.copy()
    nan_price_with_size[3] = np.nan
    return [
        ("locked", (bp, bs, crossed_ap, as_, 10)),
        ("crossed", (bp + 1.0, bs, ap, as_, 10)),
        ("nan size", (bp, nan_size, ap, as_, 10)),
        ("negative size", (bp, bs, ap, neg, 10)),
        ("empty side", (empty_bid, np.zeros_like(bs), ap, as_, 10)),
        ("inf price", (bp, bs, np.where(ap > 100.05, np.inf, ap), as_, 10)),
        ("length mismatch", (bp, bs[:-1], ap, as_, 10)),
        ("unsorted", (unsorted, bs, ap, as_, 10)),
        ("nan price with size", (bp, bs, nan_price_with_size, as_, 10)),
        ("time backwards", (bp, bs, ap, as_, 4)),
    ]


@pytest.mark.parametrize("case", _bad_inputs(), ids=lambda c: c[0])
def test_bad_input_raises_and_leaves_state_unchanged(case):
    est = MarketKappaFromL2()
    est.on_book(*exp_book(100.0, 1200.0, 1200.0), 5)
    before = json.dumps(est.state_dict())
    with pytest.raises(InvalidInputError):
        est.on_book(*case[1])
    assert json.dumps(est.state_dict()) == before


def test_config_validation():
    with pytest.raises(InvalidInputError):
        L2KappaConfig(min_levels=2)
    with pytest.raises(InvalidInputError):
        L2KappaConfig(kappa_min=100.0, kappa_max=50.0)
    with pytest.raises(InvalidInputError):
        L2KappaConfig(prior_kappa=20_000.0)
    with pytest.raises(InvalidInputError):
        L2KappaConfig(half_life_snapshots=0.0)


def test_state_dict_of_another_kind_is_refused():
    with pytest.raises(StateDictError):
        MarketKappaFromL2.from_state_dict({"kind": "Other"})


def test_nan_fit_round_trips():
    est = MarketKappaFromL2()
    bp, bs, ap, as_ = exp_book(100.0, 900.0, 900.0)
    bs[1:] = 0.0  # one occupied bid level: NaN fit
    bp[1:] = np.nan
    est.on_book(bp, bs, ap, as_, 0)
    state = json.loads(json.dumps(est.state_dict(), allow_nan=False))
    back = MarketKappaFromL2.from_state_dict(state)
    assert isinstance(back.last_fits[0], BookFit) and math.isnan(back.last_fits[0].slope)
    assert back.last_fits[1] == est.last_fits[1]


def test_flat_side_is_exactly_flat():
    # 5 x 7 shares: the mean of ln 7 is not ln 7 in floating point, so centred sums alone
    # would give a slope of ~1e-28 and R^2 ~ 1e-33 instead of 0
    mid = 220.95
    d = (np.array([221.0, 221.01, 221.02, 221.03, 221.04]) - mid) / mid
    fit = fit_side(d, np.full(5, 7.0))
    assert (fit.slope, fit.r_squared, fit.usable) == (0.0, 0.0, False)
    assert fit.intercept == math.log(7.0)
