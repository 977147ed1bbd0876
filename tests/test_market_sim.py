"""The simulated market (validation.market) against its own stated truth, by independent
estimates: KS tests of distances, least-squares depth slopes, realised variance of the mid."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from validation.market import BOOK, OWN_FILL, TRADE, MarketSpec, simulate_market


def _session(seed: int = 0, **kw):
    return simulate_market(MarketSpec(**kw), np.random.default_rng(seed))


def test_events_are_time_ordered_books_first_and_start_with_a_book():
    s = _session(duration_s=300.0, own_fill_rate_per_s=0.5, trade_rate_per_s=5.0)
    assert s.kinds[0] == BOOK and np.all(np.diff(s.times_ms) >= 0)
    same_ms = np.diff(s.times_ms) == 0
    assert np.all(np.diff(s.kinds)[same_ms] >= 0)  # book < trade < own fill within a ms
    assert {BOOK, TRADE, OWN_FILL} == set(np.unique(s.kinds).tolist())
    trades = s.kinds == TRADE
    assert np.all(s.sizes[trades] >= 1) and np.all(s.sizes[trades] == np.ceil(s.sizes[trades]))


def test_trade_distances_from_the_quoted_mid_are_exponential_at_kappa_market():
    s = _session(duration_s=3600.0, trade_rate_per_s=1.0, kappa_market=4000.0)
    d = s.distances[s.kinds == TRADE]
    assert stats.kstest(d, stats.expon(scale=1 / 4000.0).cdf).pvalue > 1e-3
    assert stats.kstest(d, stats.expon(scale=1 / 8000.0).cdf).pvalue < 1e-6  # kappa 2x off
    buys = s.is_buy[s.kinds == TRADE]
    above = s.prices[s.kinds == TRADE] > s.quoted_mid[s.kinds == TRADE]
    assert np.array_equal(buys, above)  # bid-ask bounce: buys above the mid, sells below


def test_touch_pricing_adds_the_half_spread():
    s = _session(duration_s=1800.0, pricing="touch", half_spread=2e-4, kappa_market=5000.0)
    d = s.distances[s.kinds == TRADE] - 2e-4
    assert d.min() > -1e-12
    assert stats.kstest(d, stats.expon(scale=1 / 5000.0).cdf).pvalue > 1e-3


def test_own_fills_are_exponential_at_the_drawn_kappa_own():
    s = _session(seed=3, duration_s=7200.0, own_fill_rate_per_s=0.5)
    d = s.distances[s.kinds == OWN_FILL]
    k_own = s.truth.kappa_own_before
    assert stats.kstest(d, stats.expon(scale=1 / k_own).cdf).pvalue > 1e-3


def test_kappa_own_is_gamma_a0_a0_over_kappa_market_across_sessions():
    draws = [_session(seed=k, duration_s=1.0).truth.kappa_own_before for k in range(400)]
    ref = stats.gamma(5.0, scale=2500.0 / 5.0)
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-3


def test_book_depth_decays_at_book_kappa():
    s = _session(duration_s=600.0, book_rate_per_s=2.0, levels=8, book_kappa=4000.0)
    dist = 1e-4 + 1e-4 * np.arange(8)
    slopes = [np.polyfit(dist, np.log(row), 1)[0] for row in s.bid_sizes]
    assert np.mean(slopes) == pytest.approx(-4000.0, rel=0.02)
    assert np.all(s.ask_prices[:, 0] > s.bid_prices[:, 0])


def test_log_mid_diffuses_at_sigma_and_steps_at_the_regime_change():
    s = _session(duration_s=7200.0, sigma=2e-4, regime_change_s=3600.0, sigma_after=4e-4)
    t = (s.times_ms - s.spec.start_ms) / 1000.0
    r, dt = np.diff(s.log_mid), np.diff(t)
    for lo, hi, sigma in ((0.0, 3600.0, 2e-4), (3600.0, 7200.0, 4e-4)):
        m = (t[1:] > lo) & (t[:-1] >= lo) & (t[1:] <= hi)
        z2 = np.sum(r[m] ** 2) / (sigma**2 * np.sum(dt[m]))  # ~ chi2(n) / n for exact dt
        assert z2 == pytest.approx(1.0, abs=4.0 * math.sqrt(2.0 / m.sum()))
    assert s.truth.sigma_at(s.spec.start_ms) == 2e-4
    assert s.truth.sigma_at(s.truth.change_ms) == 4e-4


def test_jumps_are_at_least_the_floor_and_enter_the_mid():
    s = _session(duration_s=3600.0, jump_rate_per_s=0.02, jump_sd=5e-4, jump_floor=1e-3)
    sizes = s.truth.jump_sizes
    assert sizes.size > 30 and np.all(np.abs(sizes) >= 1e-3)
    # the total log-mid change is the diffusion plus the sum of the jumps
    diffusion = s.log_mid[-1] - s.log_mid[0] - sizes[s.truth.jump_times_ms <= s.times_ms[-1]].sum()
    assert abs(diffusion) < 6 * 1e-4 * math.sqrt(3600.0)
    expected = 0.02 * (1e-3**2 + 2 * 1e-3 * 5e-4 * math.sqrt(2 / math.pi) + 5e-4**2)
    assert s.truth.jump_variance_per_s == pytest.approx(expected, rel=1e-12)


def test_spec_rejects_bad_values():
    with pytest.raises(ValueError, match="pricing"):
        MarketSpec(pricing="vwap")
    with pytest.raises(ValueError, match="sigma"):
        MarketSpec(sigma=-1.0)
    with pytest.raises(ValueError, match="regime_change_s"):
        MarketSpec(duration_s=10.0, regime_change_s=20.0)
