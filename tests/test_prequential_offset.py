"""Offset-model predictive against numerical integration and scoringrules, its cells against
rounded continuous draws, the offset-model simulator, and the simulated offset audit passing
the model and catching the censoring bug."""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr
from scipy import integrate, stats

from validation.market import MarketSpec, simulate_market
from validation.prequential.offset import (
    OffsetTrades,
    offset_records,
    offset_scores_of,
    session_trades,
)
from validation.prequential.predictive import offset_scores
from validation.prequential.simulated import offset_rejection_rates, sim_offset_audit

H, P, A, B = 1e-4, 0.4, 50.0, 50.0 / 8000.0


def _cdf(x: float) -> float:
    if x < 0.0:
        return 0.0
    return 1.0 if x >= H else (1.0 - P) * (B / (B + H - x)) ** A


def _one(lo: float, hi: float, y: float, h: float = H):
    arrs = [np.array([v]) for v in (lo, hi, h, P, A, B, y)]
    return offset_scores(*arrs, np.random.default_rng(0))


@pytest.mark.parametrize("y", [0.0, 3e-5, 9e-5, H])
def test_offset_crps_matches_numerical_integration(y):
    quad = integrate.quad(lambda x: (_cdf(x) - (x >= y)) ** 2, 0.0, H, points=[y], limit=200)
    assert _one(y, y, y).crps[0] == pytest.approx(quad[0], rel=1e-9)


def test_offset_crps_without_censoring_is_the_gpd_with_a_point_mass():
    # h far beyond every improvement: x = h - d is Lomax(a, b) with an atom p at 0
    h, x = 1.0, 2e-4
    ours = _one(h - x, h - x, h - x, h=h).crps[0]
    assert ours == pytest.approx(sr.crps_gpd(x, 1.0 / A, 0.0, B / A, mass=P), rel=1e-6)


def test_offset_cell_probabilities_and_density():
    touch, mid = _one(H, H, H), _one(0.0, 0.0, 0.0)
    assert np.exp(-touch.log_score[0]) == pytest.approx(P)
    assert np.exp(-mid.log_score[0]) == pytest.approx((1 - P) * (B / (B + H)) ** A)
    cell = _one(2e-5, 4e-5, 3e-5)
    assert np.exp(-cell.log_score[0]) == pytest.approx(_cdf(4e-5) - _cdf(2e-5), rel=1e-9)
    density = (1 - P) * stats.lomax(c=A, scale=B).pdf(H - 3e-5)
    assert np.exp(-_one(3e-5, 3e-5, 3e-5).log_score[0]) == pytest.approx(density, rel=1e-9)


def test_offset_scores_reject_bad_input_naming_the_field():
    with pytest.raises(ValueError, match=r"a=1\.0"):
        offset_scores(*[np.array([v]) for v in (0.0, 0.0, H, P, 1.0, B, 0.0)], None)
    with pytest.raises(ValueError, match="half_spread"):
        offset_scores(*[np.array([v]) for v in (0.0, 2 * H, H, P, A, B, 0.0)], None)
    with pytest.raises(ValueError, match="half_width"):
        OffsetTrades(*(np.zeros(3) for _ in range(4)), np.zeros(2))


KAPPA = 12000.0


def _rounded_trades(rng, n, w):
    """Offset-model trades on a lattice: latent x continuous, read to the nearest multiple of
    2w and at least one (h = 6w, so x >= 5w reads as the mid)."""
    h = 6 * w
    touch = rng.random(n) < 0.3
    x_obs = np.maximum(np.round(rng.exponential(1.0 / KAPPA, n) / (2 * w)), 1.0) * 2 * w
    d = np.where(touch, h, np.maximum(h - x_obs, 0.0))
    return OffsetTrades(np.arange(n) * 100, d, np.full(n, h), touch, np.full(n, w))


def test_offset_cells_tile_the_lattice_so_the_pit_is_uniform():
    # a prior of 1e8 pseudo-trades pins kappa_inside at the truth, so only the cells matter
    rng, w, prior = np.random.default_rng(3), 0.25e-4, (1e8, 1e8 / KAPPA)
    trades = _rounded_trades(rng, 20_000, w)
    pit = offset_scores_of(offset_records(trades, prior=prior), rng).pit[100:]
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    fields = ("time_ms", "distance", "half_spread", "at_touch")
    narrow = OffsetTrades(*(getattr(trades, f) for f in fields), trades.half_width / 2)
    pit = offset_scores_of(offset_records(narrow, prior=prior), rng).pit[100:]
    assert stats.kstest(pit, "uniform").pvalue < 1e-6  # cells with gaps: not uniform


def test_simulator_offset_pricing_gives_touch_and_censored_fractions():
    spec = MarketSpec(
        duration_s=600.0, pricing="offset", touch_prob=0.3, half_spread=5e-4, kappa_market=2500.0
    )
    trades = session_trades(simulate_market(spec, np.random.default_rng(0)))
    n = trades.at_touch.size
    assert stats.binomtest(int(trades.at_touch.sum()), n, 0.3).pvalue > 1e-3
    inside = ~trades.at_touch
    at_mid = int(np.count_nonzero(trades.distance[inside] == 0.0))
    assert stats.binomtest(at_mid, int(inside.sum()), np.exp(-2500 * 5e-4)).pvalue > 1e-3
    with pytest.raises(ValueError, match="touch_prob"):
        MarketSpec(touch_prob=1.5)


def test_offset_pit_is_uniform_on_the_model_and_not_when_censoring_is_ignored():
    spec = MarketSpec(
        duration_s=900.0, pricing="offset", touch_prob=0.4, half_spread=5e-4, kappa_market=2000.0
    )
    rng = np.random.default_rng(5)
    trades = session_trades(simulate_market(spec, rng))
    for count_censored, uniform in ((False, True), (True, False)):
        table = offset_records(trades, count_censored=count_censored)[300:]
        p = stats.kstest(offset_scores_of(table, rng).pit, "uniform").pvalue
        assert (p > 1e-3) if uniform else (p < 1e-6)


@pytest.mark.slow
def test_simulated_offset_audit_passes_the_model_and_catches_the_censoring_bug():
    assert not sim_offset_audit(0, "correct")["offset_distance"]["rejected"]
    assert sim_offset_audit(0, "count_censored")["offset_distance"]["rejected"]


@pytest.mark.audit
def test_simulated_offset_false_alarm_and_detection_rates():
    assert offset_rejection_rates(range(100), "correct")["offset_distance"]["rejected"] <= 3
    bad = offset_rejection_rates(range(1000, 1020), "count_censored")["offset_distance"]
    assert bad["rejected"] >= 10  # measured 13/20: the bias is the censored share, often small
    bad = offset_rejection_rates(range(1000, 1020), "kappa_2x")["offset_distance"]
    assert bad["rejected"] >= 17  # measured 18/20: touch probability near 1 leaves few inside
