"""Valid inputs at the ends of the documented ranges: no crash, no partial update, exact VWAPs.

References are exact rational arithmetic (``fractions.Fraction``), independent of the float
update under test.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

import online
from online.errors import InvalidInputError
from online.unified import UnifiedParameterEstimator
from online.volume_clock import VolumeClock, VolumeClockConfig

ISSUE_TRADES = [(1.0, 100.0, 0), (1e12, 1e-9, 1), (1e-8, 1e15, 2)]


def exact_vwap(trades: list[tuple[float, float]]) -> float:
    notional = sum(Fraction(p) * Fraction(s) for p, s in trades)
    return float(notional / sum(Fraction(s) for _, s in trades))


def test_unified_accepts_the_extreme_trade_sequence_and_stays_json():
    est = UnifiedParameterEstimator()
    for price, size, t in ISSUE_TRADES:
        est.on_trade(price, size, True, t)
    assert est.counts["trade"] == 3
    bucket = est._clock.last_bucket
    assert bucket.vwap == pytest.approx(exact_vwap([(1e12, 1e-9), (1e-8, 1e15)]), rel=1e-15)
    assert math.isfinite(bucket.log_return)
    assert bucket.log_return == pytest.approx(math.log(bucket.vwap), rel=1e-15)  # prev vwap 1
    json.dumps(est.state_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "trades",
    [
        [(1e12, 1e-9), (1e-8, 1e15)],
        [(1e-8, 1e15), (1e12, 1e-9)],
        [(1e-300, 1e100), (1e300, 1e-100), (1.0, 1.0)],
        [(3.0, 1.0), (5e-324, 1e100), (7.0, 2.0)],
        [(101.37, 3.0), (101.37, 1e-3), (101.37, 9999.0)],
    ],
)
def test_vwap_is_positive_and_matches_exact_arithmetic(trades):
    clock = VolumeClock(VolumeClockConfig(initial_threshold=1e308, max_threshold=1e308))
    for t, (price, size) in enumerate(trades):
        assert clock.on_trade(price, size, t) is None
    vwap = clock._b_vwap
    assert vwap > 0.0
    assert vwap == pytest.approx(exact_vwap(trades), rel=4 * len(trades) * 2**-52)


def test_log_return_is_finite_when_the_vwap_ratio_leaves_float_range():
    clock = VolumeClock(VolumeClockConfig(initial_threshold=100.0))
    clock.on_trade(1e-300, 100.0, 0)
    bucket = clock.on_trade(1e300, 1e3, 1)
    assert math.isinf(1e300 / 1e-300)  # the ratio form would give log(inf)
    assert bucket.log_return == pytest.approx(600 * math.log(10.0), rel=1e-15)


@pytest.mark.parametrize(
    "timestamp",
    [
        10**400,
        2**53 + 1,
        np.float64("nan"),
        np.float32("inf"),
        np.float32(1.5),
        np.float64(2.5),
        float(2**60),
        np.bool_(True),
        "7",
    ],
    ids=repr,
)
def test_bad_timestamps_raise_invalid_input_and_change_nothing(timestamp):
    clock = VolumeClock()
    clock.on_trade(100.0, 10.0, 5)
    before = json.dumps(clock.state_dict())
    with pytest.raises(InvalidInputError, match="timestamp_ms"):
        clock.on_trade(100.0, 10.0, timestamp)
    assert json.dumps(clock.state_dict()) == before
    hybrid = online.HybridEWMA(5.0, 1000.0)
    with pytest.raises(InvalidInputError, match="timestamp_ms"):
        hybrid.update(1.0, timestamp)


def test_integral_numpy_timestamps_are_accepted_as_int():
    clock = VolumeClock()
    clock.on_trade(100.0, 10.0, np.int64(5))
    clock.on_trade(100.0, 10.0, np.float64(6.0))
    assert json.loads(json.dumps(clock.state_dict()))["state"]["last_ms"] == 6


def test_huge_int_values_raise_invalid_input():
    with pytest.raises(InvalidInputError, match="price"):
        VolumeClock().on_trade(10**400, 1.0, 0)


def test_configs_of_numpy_scalars_keep_state_dict_json():
    cfg = online.MicropriceConfig(half_life_obs=np.float64(500.0), ridge=np.float32(0.5))
    est = online.MicropriceEstimator(cfg)
    est.on_book(99.99, 5.0, 100.01, 7.0, 0)
    text = json.dumps(est.state_dict(), allow_nan=False)
    restored = online.MicropriceEstimator.from_state_dict(json.loads(text))
    assert restored.config.ridge == 0.5 and json.dumps(restored.state_dict()) == text


@pytest.mark.parametrize(
    ("make", "call"),
    [
        (VolumeClock, lambda e: e.on_trade(100.0, 1e101, 10)),
        (online.ConjugateBayesianKappa, lambda e: e.update(1e101, 10)),
        (online.HierarchicalKappa, lambda e: e.update_from_fill(1e101, 10)),
        (online.LinearBlendKappa, lambda e: e.update_from_fill(1e101, 10)),
        (online.VolumeWeightedKappa, lambda e: e.update(1e-3, 1e101, 10)),
        (online.HierarchicalKappa, lambda e: e.update_market_kappa(1e101, 0.5)),
        (online.LinearBlendKappa, lambda e: e.update_market_kappa(5e-324)),
    ],
    ids=[
        "clock size",
        "kappa distance",
        "own distance",
        "blend distance",
        "vw size",
        "market kappa",
        "blend kappa",
    ],
)
def test_values_whose_sums_or_priors_would_overflow_are_refused(make, call):
    """Window values above 1e100 (squares would overflow m2) and kappas whose prior rate
    leaves float range were accepted and made the state non-JSON or a read-out raise."""
    est = make()
    before = json.dumps(est.state_dict(), allow_nan=False)
    with pytest.raises(InvalidInputError):
        call(est)
    assert json.dumps(est.state_dict(), allow_nan=False) == before
