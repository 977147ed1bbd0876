"""Real-data audit of the L2-book market kappa on LOBSTER level-5/10 archives.

Per archive (``AMZN_5``, ``GOOG_5``, ``GOOG_10``: ``*_<TICKER>_<date>_<levels>.zip`` in
``data_dir``) every book row with both best quotes present and not crossed or locked is fed,
in time order (ms = round(time_s * 1e9) // 1e6, as :func:`validation.data.trade_distances`),
through the production :class:`online.l2_kappa.MarketKappaFromL2`. One check per archive:

``"realdata.l2_kappa.<TICKER>_<levels>.fit_exact"`` (false-alarm rate 0, deterministic):
``n_exact`` (2000) book rows are drawn from the seed without replacement; at each, the online
per-side fits (``last_fits`` right after that row) are compared with
:func:`scipy.stats.linregress` of ln(size) on |price - mid| / mid over the occupied levels,
computed here from the raw book arrays. FAIL if the largest scaled difference exceeds
``EXACT_TOL`` (1e-9), or if an occupied-level count or a usability flag (n >= 3, R^2 >= 0.3,
slope < 0) differs. Differences are scaled by the natural size of each quantity, not by its
own value: the slope by sd(y) / sd(d) (the slope of a perfect fit, so the scaled difference is
a difference of correlations), the intercept by max |y|, R^2 absolutely. A relative difference
means nothing near 0: on near-flat sides (R^2 below 1e-25) both fits return rounding noise
around a zero slope (1.644e-11 vs 1.640e-11 on AMZN_5).

Its ``details["depth_model"]`` describes, without a verdict, how well the exponential-depth
model ``size = A exp(-kappa d)`` fits the day (these numbers are reported, not tested):
per-side R^2 quantiles and the fraction below 0.3, the fraction of fits with a positive slope,
the snapshot fallback rate (no usable side), quantiles over the day's snapshots of the smoothed
kappa, and its ratio to the market-trade kappa of the same day: the conjugate posterior
Gamma(a0 + n, b0 + sum d) (shape-rate, production prior Gamma(5, 5/2500), distances floored at
1e-5) of all the day's trade distances, and the 5-minute-window posterior means of the
production :class:`online.ConjugateBayesianKappa` at every 5-minute mark, matched in time
with the L2 kappa.

It is a GATE check (a mismatch is an estimator defect) and records the archive it read (name,
bytes, sha256). A missing or unreadable archive gives an INCONCLUSIVE result naming it.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.l2_kappa import L2KappaConfig, MarketKappaFromL2
from validation.data import LobsterFormatError, find_archives, load_lobster, trade_distances
from validation.results import CheckResult, DataFile, Status

ARCHIVES = (("AMZN", 5), ("GOOG", 5), ("GOOG", 10))
"""(ticker, levels) of the archives audited by default; level-1 books cannot give a slope."""
N_EXACT = 2000
EXACT_TOL = 1e-9
"""Largest relative difference between the online fits and ``linregress`` that passes."""
MATCH_STEP_MS = 300_000
"""Spacing of the time-matched L2 / trade kappa comparisons (the trade window length)."""
_QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
_TAG_EXACT = 0x6C32


def l2_archive(data_dir: str | Path, ticker: str, levels: int) -> Path | None:
    """The archive ``..._<TICKER>_<date>_<levels>.zip`` in ``data_dir``, or None."""
    for path in find_archives(data_dir):
        parts = path.stem.split("_")
        if len(parts) >= 3 and parts[-3] == ticker and parts[-1] == str(levels):
            return path
    return None


def _name(ticker: str, levels: int) -> str:
    return f"realdata.l2_kappa.{ticker}_{levels}.fit_exact"


def _inconclusive(ticker: str, levels: int, seed: int, reason: str) -> CheckResult:
    return CheckResult(
        name=_name(ticker, levels),
        status=Status.INCONCLUSIVE,
        statistic=float("nan"),
        threshold=EXACT_TOL,
        details={"reason": reason},
        seed=seed,
    )


def _reference_fit(prices: np.ndarray, sizes: np.ndarray, mid: float) -> dict[str, Any]:
    """linregress of ln(size) on |price - mid| / mid over levels with a price and size > 0."""
    occupied = np.isfinite(prices) & (sizes > 0)
    d = np.abs(prices[occupied] - mid) / mid
    n = int(d.size)
    if n < 2 or np.ptp(d) == 0.0:
        return {"n": n, "slope": None}
    y = np.log(sizes[occupied].astype(np.float64))
    if np.ptp(y) == 0.0:  # a flat side: slope 0 and R^2 defined as 0 (linregress gives NaN)
        return {"n": n, "slope": 0.0, "intercept": float(y[0]), "r_squared": 0.0, "usable": False}
    ref = stats.linregress(d, y)
    r2 = float(ref.rvalue) ** 2
    return {
        "n": n,
        "slope": float(ref.slope),
        "intercept": float(ref.intercept),
        "r_squared": r2,
        "usable": n >= 3 and r2 >= 0.3 and ref.slope < 0,
        "scales": {
            "slope": float(np.std(y) / np.std(d)),
            "intercept": float(np.max(np.abs(y))),
            "r_squared": 1.0,
        },
    }


def _compare(fit, ref: dict[str, Any]) -> tuple[float, list[str]]:
    """(max relative difference, mismatches) of one online BookFit against its reference."""
    problems = []
    if fit.n_levels != ref["n"]:
        problems.append(f"n_levels {fit.n_levels} != {ref['n']}")
    if ref["slope"] is None:
        if not np.isnan(fit.slope) or fit.usable:
            problems.append(f"fit {fit} where the reference has none")
        return 0.0, problems
    worst = 0.0
    for key in ("slope", "intercept", "r_squared"):
        got, want = getattr(fit, key), ref[key]
        if got == want:
            continue
        scale = ref.get("scales", {}).get(key, abs(want))
        diff = abs(got - want) / scale if scale > 0.0 else float("inf")
        worst = max(worst, diff if np.isfinite(diff) else float("inf"))
    if fit.usable != ref["usable"]:
        problems.append(f"usable {fit.usable} != {ref['usable']}")
    return worst, problems


def _quantiles(x: np.ndarray) -> dict[str, float]:
    if x.size == 0:
        return {}
    return {
        f"q{round(q * 100):02d}": float(v)
        for q, v in zip(_QUANTILES, np.quantile(x, _QUANTILES), strict=True)
    }


def _trade_kappa(day, times_ms: np.ndarray, l2_kappa: np.ndarray) -> dict[str, Any]:
    """Conjugate posterior of the trade distances up to the last snapshot (the whole day by
    default) and the time-matched ratios of the L2 kappa to the 5-minute-window posterior mean."""
    cfg = ConjugateKappaConfig()
    trades = trade_distances(day)
    covered = trades.time_ms <= times_ms[-1]  # the whole day unless max_snapshots cut it
    t_ms, dist = trades.time_ms[covered], trades.distance[covered]
    if t_ms.size == 0:
        return {"n_trades": 0}
    d = np.maximum(dist, cfg.min_distance)
    a, b = cfg.prior_alpha + d.size, cfg.prior_beta + float(np.sum(d))
    post = stats.gamma(a, scale=1.0 / b)
    est = ConjugateBayesianKappa(cfg)
    marks = np.arange(int(t_ms[0]) + MATCH_STEP_MS, int(t_ms[-1]) + 1, MATCH_STEP_MS)
    ratios, i = [], 0
    for mark in marks:
        while i < t_ms.size and t_ms[i] <= mark:
            est.update(float(dist[i]), int(t_ms[i]))
            i += 1
        est.advance(int(mark))
        row = np.searchsorted(times_ms, mark, side="right") - 1
        if row >= 0 and est.observation_count > 0:
            ratios.append(l2_kappa[row] / est.posterior.mean)
    median_l2 = float(np.median(l2_kappa))
    return {
        "n_trades": int(d.size),
        "day_posterior_mean": a / b,
        "day_posterior_ci95": [float(post.ppf(0.025)), float(post.ppf(0.975))],
        "ratio_median_l2_to_day_trade_kappa": median_l2 / (a / b),
        "window_ms": cfg.window_ms,
        "n_matched_windows": len(ratios),
        "matched_ratio_quantiles": _quantiles(np.array(ratios)),
    }


def _audit_one(
    path: Path,
    ticker: str,
    levels: int,
    seed: int,
    n_exact: int,
    max_snapshots: int | None,
    config: L2KappaConfig,
    progress: Callable[[str], None] | None,
) -> CheckResult:
    start = time.perf_counter()
    day = load_lobster(path)
    ask1, bid1 = day.ask_price[:, 0], day.bid_price[:, 0]
    valid = np.flatnonzero(np.isfinite(ask1) & np.isfinite(bid1) & (ask1 > bid1))
    n_valid_day = int(valid.size)
    valid = valid[:max_snapshots]
    times_ms = np.rint(day.messages["time_s"][valid] * 1e9).astype(np.int64) // 1_000_000
    rng = np.random.default_rng(
        np.random.SeedSequence([seed, zlib.crc32(f"{ticker}_{levels}".encode()), _TAG_EXACT])
    )
    sample = set(rng.choice(valid, size=min(n_exact, valid.size), replace=False).tolist())

    est = MarketKappaFromL2(config)
    kappa = np.empty(valid.size)
    r2 = np.full((valid.size, 2), np.nan)
    slope = np.full((valid.size, 2), np.nan)
    n_lv = np.zeros((valid.size, 2), dtype=np.int64)
    worst, problems, compared = 0.0, [], 0
    bp, bs, ap, as_ = day.bid_price, day.bid_size, day.ask_price, day.ask_size
    for k, row in enumerate(valid):
        kappa[k] = est.on_book(bp[row], bs[row], ap[row], as_[row], int(times_ms[k]))
        fits = est.last_fits
        for side in (0, 1):
            r2[k, side], slope[k, side] = fits[side].r_squared, fits[side].slope
            n_lv[k, side] = fits[side].n_levels
        if row in sample:
            mid = 0.5 * (ap[row, 0] + bp[row, 0])
            for fit, prices, sizes in ((fits[0], bp[row], bs[row]), (fits[1], ap[row], as_[row])):
                diff, bad = _compare(fit, _reference_fit(prices, sizes, mid))
                worst = max(worst, diff)
                problems += [f"row {row}: {p}" for p in bad]
                compared += 1
    if progress is not None:
        progress(f"l2_kappa {ticker}_{levels}: {valid.size} snapshots streamed")

    fitted = n_lv >= 3
    r2_fitted = r2[fitted]
    depth = {
        "n_rows": len(day),
        "n_snapshots": int(valid.size),
        "n_rows_without_valid_quote": int(len(day) - n_valid_day),
        "fallback_rate": est.fallback_count / est.snapshot_count,
        "fraction_sides_below_min_levels": float(np.mean(~fitted)),
        "r_squared_quantiles": _quantiles(r2_fitted),
        "r_squared_median": float(np.median(r2_fitted)) if r2_fitted.size else float("nan"),
        "fraction_r_squared_below_0_3": float(np.mean(r2_fitted < 0.3)),
        "fraction_positive_slope": float(np.mean(slope[fitted] > 0)),
        "per_side": {
            side: {
                "r_squared_median": float(np.median(r2[fitted[:, j], j])),
                "fraction_positive_slope": float(np.mean(slope[fitted[:, j], j] > 0)),
                "fraction_usable": float(
                    np.mean(fitted[:, j] & (r2[:, j] >= 0.3) & (slope[:, j] < 0))
                ),
            }
            for j, side in enumerate(("bid", "ask"))
        },
        "smoothed_kappa_quantiles": _quantiles(kappa),
        "kappa_at_clamp_fraction": float(
            np.mean((kappa <= est.config.kappa_min) | (kappa >= est.config.kappa_max))
        ),
        "final_confidence": est.confidence,
        "trade_kappa": _trade_kappa(day, times_ms, kappa),
    }
    status = Status.FAIL if worst > EXACT_TOL or problems else Status.PASS
    return CheckResult(
        name=_name(ticker, levels),
        status=status,
        statistic=float(worst),
        threshold=EXACT_TOL,
        details={
            "statistic_name": "max relative difference of slope, intercept, R^2 between the "
            "online per-side fits and scipy.stats.linregress on the sampled snapshots",
            "archive": str(path),
            "n_sides_compared": compared,
            "mismatches": problems[:20],
            "n_mismatches": len(problems),
            "depth_model": depth,
        },
        seed=seed,
        seconds=time.perf_counter() - start,
        false_alarm_rate=0.0,
        data_files=[DataFile.of(path)],
    )


def audit_l2_kappa(
    data_dir: str | Path,
    seed: int,
    progress: Callable[[str], None] | None = None,
    *,
    archives: tuple[tuple[str, int], ...] = ARCHIVES,
    n_exact: int = N_EXACT,
    max_snapshots: int | None = None,
    config: L2KappaConfig | None = None,
) -> list[CheckResult]:
    """One ``fit_exact`` check per archive (module docstring), in ``archives`` order.

    Args:
        data_dir: directory holding the LOBSTER zip archives (read in place).
        seed: fixes the snapshots compared with ``linregress``.
        progress: called with a one-line message after each archive.
        archives: (ticker, levels) pairs to audit.
        n_exact: snapshots compared exactly per archive.
        max_snapshots: stream only the first this many snapshots of each day (None: all);
            the exact sample and the trade-kappa comparison are restricted to them.
        config: the estimator's config (default production).
    """
    cfg = config if config is not None else L2KappaConfig()
    out = []
    for ticker, levels in archives:
        path = l2_archive(data_dir, ticker, levels)
        if path is None:
            reason = f"no archive *_{ticker}_<date>_{levels}.zip in {data_dir}"
            out.append(_inconclusive(ticker, levels, seed, reason))
        else:
            try:
                out.append(
                    _audit_one(path, ticker, levels, seed, n_exact, max_snapshots, cfg, progress)
                )
            except LobsterFormatError as exc:
                out.append(_inconclusive(ticker, levels, seed, f"unreadable archive: {exc}"))
        if progress is not None:
            progress(f"l2_kappa {ticker}_{levels}: {out[-1].status.value}")
    return out
