"""Shadow mode: the V1 and V2 unified estimators side by side on one replay of a LOBSTER day.

Both estimators (``EstimatorVersion.legacy_v1()`` and ``EstimatorVersion.all_enabled()``, the
other settings at their production defaults) receive every event of ONE pass over the day
(:func:`validation.data.replay.replay_samples`) and are sampled on the same grid. Each sample gives
the GLFT half-spread of either version (:func:`online.glft.glft_half_spread` with
``MarketParams.kappa`` and ``MarketParams.sigma``, the clean per-sqrt(s) volatility):

    half_spread_bps = 1e4 [(1/gamma) ln(1 + gamma/kappa) + 0.5 gamma sigma^2 T + fee]

and NaN while kappa or sigma is NaN. Summary statistics (all over the samples where both
values are finite; quantiles linear-interpolated, ``numpy.quantile``'s default):

* ``log_kappa_ratio``: median, 5% and 95% quantiles of ln(kappa_v2 / kappa_v1);
* ``sigma_ratio``: the same of sigma_v2 / sigma_v1;
* ``half_spread_diff_bps``: the same of half_spread_v2_bps - half_spread_v1_bps;
* ``fraction_quotes_differ``: fraction of samples with |difference| > 0.5 bp;
* ``largest_differences``: the samples with the largest |difference| (time, both values)
  after the first :data:`WARM_UP_MS` of quoted samples (while the 5-minute kappa windows fill,
  the estimators disagree by construction, e.g. 2,883 bp at 09:30:01 on AAPL).

Default quoting parameters (:data:`DEFAULT_GAMMA`, :data:`DEFAULT_HORIZON_S`): chosen so that
for a liquid large cap (AAPL 2012-06-21: kappa ~ 1e4 per unit fraction of mid, clean sigma
~ 6e-5 per sqrt(s)) the fill term 1/kappa ~ 1 bp and the inventory term
0.5 gamma sigma^2 T ~ 1 bp are of the same order, so the comparison is sensitive to both kappa
and sigma; gamma / kappa ~ 0.1 keeps the fill term near its risk-neutral value 1/kappa.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from online.glft import glft_half_spread
from online.market_params import EstimatorVersion, MarketParams
from online.unified import UnifiedEstimatorConfig, UnifiedParameterEstimator
from validation.data.lobster import LobsterDay
from validation.data.replay import (
    DEFAULT_BOOK_INTERVAL_MS,
    DEFAULT_EVERY_MS,
    ReplayStats,
    replay_samples,
)

DEFAULT_GAMMA = 1000.0
"""Risk aversion, 1 / (fraction of mid) per unit of inventory (see the module docstring)."""

DEFAULT_HORIZON_S = 60.0
"""GLFT horizon T in seconds."""

DEFAULT_FEE_BPS = 0.0
"""Per-side fee in bp."""

QUOTE_DIFF_THRESHOLD_BPS = 0.5
"""Half-spreads further apart than this (bp) count as different quotes."""

N_LARGEST = 5

WARM_UP_MS = 300_000
"""Quoted samples this soon after the first are left out of ``largest_differences`` (ms; the
length of the kappa windows)."""
"""How many of the largest half-spread differences the summary lists."""

COLUMNS = (
    "time_ms",
    "kappa_v1",
    "kappa_v2",
    "sigma_v1",
    "sigma_v2",
    "half_spread_v1_bps",
    "half_spread_v2_bps",
    "last_event_ms",
)


@dataclass(frozen=True, eq=False)
class ShadowResult:
    """Outcome of :func:`run_shadow`.

    Attributes:
        frame: one row per sample, columns :data:`COLUMNS` (``time_ms`` the grid time in ms
            after midnight, kappa in 1 / fraction of mid, sigma per sqrt(s), half-spreads in
            bp, ``last_event_ms`` the time of the last event both estimators accepted).
        summary: the statistics of :func:`summarize` plus the run settings.
        replay_stats: counts of the events fed and not fed (``ReplayStats.to_dict()``).
    """

    frame: pd.DataFrame
    summary: dict[str, Any]
    replay_stats: dict[str, Any]


class _Pair:
    """Forwards every event to both estimators; ``params()`` returns both snapshots."""

    def __init__(self, v1: UnifiedParameterEstimator, v2: UnifiedParameterEstimator) -> None:
        self.v1, self.v2 = v1, v2

    def on_trade(self, price: float, size: float, is_buy: bool, timestamp_ms: int) -> None:
        # Both versions validate identically, so a rejection leaves both unchanged.
        self.v1.on_trade(price, size, is_buy, timestamp_ms)
        self.v2.on_trade(price, size, is_buy, timestamp_ms)

    def on_l2_book(self, bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms) -> None:
        self.v1.on_l2_book(bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms)
        self.v2.on_l2_book(bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms)

    def params(self) -> tuple[MarketParams, MarketParams]:  # type: ignore[override]
        return self.v1.params(), self.v2.params()


def _half_spread_bps(
    kappa: float, sigma: float, gamma: float, horizon_s: float, fee: float
) -> float:
    if not (math.isfinite(kappa) and math.isfinite(sigma)):
        return math.nan
    return 1e4 * glft_half_spread(kappa, sigma, gamma, horizon_s, fee)


def run_shadow(
    day: LobsterDay,
    *,
    gamma: float = DEFAULT_GAMMA,
    horizon_s: float = DEFAULT_HORIZON_S,
    fee: float = DEFAULT_FEE_BPS * 1e-4,
    book_interval_ms: int = DEFAULT_BOOK_INTERVAL_MS,
    every_ms: int = DEFAULT_EVERY_MS,
    progress: Callable[[int, int], None] | None = None,
) -> ShadowResult:
    """Replay ``day`` once through the V1 and V2 estimators and compare their quotes.

    Args:
        day: a loaded LOBSTER day.
        gamma: GLFT risk aversion, 1 / (fraction of mid) per unit of inventory.
        horizon_s: GLFT horizon T in seconds.
        fee: per-side fee as a fraction of the mid (1 bp = 1e-4).
        book_interval_ms, every_ms, progress: as in :func:`validation.data.replay.replay`.
    """
    glft_half_spread(1.0, 0.0, gamma, horizon_s, fee)  # validate the quoting inputs up front
    pair = _Pair(
        UnifiedParameterEstimator(UnifiedEstimatorConfig(version=EstimatorVersion.legacy_v1())),
        UnifiedParameterEstimator(UnifiedEstimatorConfig(version=EstimatorVersion.all_enabled())),
    )
    stats = ReplayStats()
    rows = []
    for grid_ms, (p1, p2) in replay_samples(day, pair, book_interval_ms, every_ms, progress, stats):
        rows.append(
            (
                grid_ms,
                p1.kappa,
                p2.kappa,
                p1.sigma,
                p2.sigma,
                _half_spread_bps(p1.kappa, p1.sigma, gamma, horizon_s, fee),
                _half_spread_bps(p2.kappa, p2.sigma, gamma, horizon_s, fee),
                p2.timestamp_ms,
            )
        )
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    summary = summarize(frame)
    summary["settings"] = {
        "ticker": day.ticker,
        "date": day.date.isoformat(),
        "levels": day.levels,
        "gamma": gamma,
        "horizon_s": horizon_s,
        "fee_bps": fee * 1e4,
        "book_interval_ms": book_interval_ms,
        "every_ms": every_ms,
        "sigma_field": "MarketParams.sigma",
    }
    return ShadowResult(frame=frame, summary=summary, replay_stats=stats.to_dict())


def hhmmss(time_ms: int) -> str:
    """ms after midnight as ``hh:mm:ss.mmm``."""
    seconds, ms = divmod(int(time_ms), 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.{ms:03d}"


def _quantiles(values: pd.Series) -> dict[str, float]:
    if values.empty:
        return {"median": math.nan, "q05": math.nan, "q95": math.nan, "n": 0}
    q = values.quantile([0.05, 0.5, 0.95])
    return {
        "median": float(q.loc[0.5]),
        "q05": float(q.loc[0.05]),
        "q95": float(q.loc[0.95]),
        "n": len(values),
    }


def summarize(frame: pd.DataFrame, warm_up_ms: int = WARM_UP_MS) -> dict[str, Any]:
    """The summary statistics of the module docstring, from the columns of ``frame``;
    ``largest_differences`` skips the quoted samples of the first ``warm_up_ms``."""
    kappa_ok = np.isfinite(frame["kappa_v1"]) & np.isfinite(frame["kappa_v2"])
    sigma_ok = (
        np.isfinite(frame["sigma_v1"]) & np.isfinite(frame["sigma_v2"]) & (frame["sigma_v1"] > 0)
    )
    quote_ok = np.isfinite(frame["half_spread_v1_bps"]) & np.isfinite(frame["half_spread_v2_bps"])
    log_ratio = np.log(frame.loc[kappa_ok, "kappa_v2"] / frame.loc[kappa_ok, "kappa_v1"])
    sigma_ratio = frame.loc[sigma_ok, "sigma_v2"] / frame.loc[sigma_ok, "sigma_v1"]
    quoted = frame.loc[quote_ok]
    diff = quoted["half_spread_v2_bps"] - quoted["half_spread_v1_bps"]
    settled = diff[quoted["time_ms"] >= quoted["time_ms"].min() + warm_up_ms]
    largest = settled.abs().sort_values(ascending=False, kind="stable").index[:N_LARGEST]
    return {
        "n_samples": len(frame),
        "log_kappa_ratio": _quantiles(log_ratio),
        "sigma_ratio": _quantiles(sigma_ratio),
        "half_spread_diff_bps": _quantiles(diff),
        "fraction_quotes_differ": (
            float((diff.abs() > QUOTE_DIFF_THRESHOLD_BPS).mean()) if len(diff) else math.nan
        ),
        "quote_diff_threshold_bps": QUOTE_DIFF_THRESHOLD_BPS,
        "warm_up_ms": warm_up_ms,
        "largest_differences": [
            {
                "time_ms": int(quoted.at[i, "time_ms"]),
                "time": hhmmss(quoted.at[i, "time_ms"]),
                "diff_bps": float(diff.at[i]),
                "half_spread_v1_bps": float(quoted.at[i, "half_spread_v1_bps"]),
                "half_spread_v2_bps": float(quoted.at[i, "half_spread_v2_bps"]),
            }
            for i in largest
        ],
    }
