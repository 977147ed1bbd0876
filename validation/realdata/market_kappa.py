"""Real-data audit of the market-trade kappa estimator on LOBSTER level-1 archives.

Per ticker (AAPL, AMZN, GOOG; archive ``*_<TICKER>_<date>_1.zip`` in ``data_dir``):

1. ``"realdata.market_kappa_vs_mcmc.<TICKER>"``: every execution's distance from the prior mid
   (fraction of the mid, :func:`validation.data.trade_distances`) is fed in time order through
   the production :class:`online.ConjugateBayesianKappa` (prior Gamma(5, rate 5/2500),
   5-minute window, floor 1e-5). ``n_windows`` window ends T are drawn from the seed, one
   uniformly (integer ms) in each of ``n_windows`` equal slices of [first trade + 5 min, last
   trade]; the estimator is advanced to T, so its window is (T - 5 min, T]. Its posterior is
   compared with a PyMC ``gamma_exponential`` fit (same prior) on exactly the trades with
   time in (T - 5 min, T], floored at 1e-5, by :func:`validation.agreement.posterior.
   compare_posterior` (exact conjugacy: approx_tol = 0, KS test on). The false-alarm budget
   ``ALPHA`` = 1e-3 per ticker is split evenly over the windows (Bonferroni). A window whose
   fit fails the convergence gate is INCONCLUSIVE; the ticker FAILs if any usable window
   disagrees, else is INCONCLUSIVE if any window is, else PASSes.
2. ``"realdata.market_kappa_ppc.<TICKER>"``: posterior predictive check of d ~ Exp(kappa) on
   the same windows with the online posterior (:func:`validation.realdata.ppc.exponential_ppc`).
3. ``"realdata.offset_model_ppc.<TICKER>"``: the same check of the zero-inflated,
   mid-censored offset model (:func:`validation.realdata.ppc.offset_ppc`).

The agreement checks are GATE checks (a disagreement is an estimator defect); the PPCs are
ADEQUACY checks (a rejection is a finding about the model on these data), whose size is the
largest band excess (:meth:`validation.realdata.ppc.PpcResult.band_excess`) over statistics
and tested windows. Every check records the archive it read (name, bytes, sha256).

PPC verdict: FAIL when any statistic in any window has two-sided ppp < 0.005 (the model is
rejected: misspecified for these data), PASS otherwise; a window with fewer than
``MIN_TRADES`` trades is not tested, and a ticker with no tested window is INCONCLUSIVE. The
stated false-alarm rate is the Bonferroni bound 3 statistics x 0.005 x tested windows (PPP
values are conservative, so the real rate is lower; see :mod:`validation.realdata.ppc`).
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from validation.agreement._common import Timer
from validation.agreement._reference import draws_of, reference_model
from validation.agreement.posterior import compare_posterior
from validation.agreement.reference_fits import McmcRecord
from validation.data import TradeDistances, find_archives, load_lobster, trade_distances
from validation.realdata.ppc import (
    PPP_THRESHOLD,
    STATISTICS,
    WINDOW_FALSE_ALARM_BOUND,
    PpcResult,
    exponential_ppc,
    offset_ppc,
)
from validation.results import CheckResult, DataFile, Kind, Status

TICKERS = ("AAPL", "AMZN", "GOOG")
ALPHA = 1e-3
"""False-alarm budget of each ticker's MCMC agreement check, split over its windows."""
MIN_TRADES = 30
"""Windows with fewer trades are not tested by the PPCs."""
PRODUCTION = ConjugateKappaConfig()
"""The model the reference fits: production prior, window and floor."""
_TAG_WINDOWS, _TAG_MCMC, _TAG_PPC, _TAG_OFFSET = 0x77696E, 0x6D636D63, 0x707063, 0x6F6666
_FIT_CACHE: dict[tuple, Any] = {}
_FIT_CACHE_SIZE = 32


def _default_settings():
    """4 chains x 1000 draws (see :func:`validation.agreement.kappa._sampler_settings`)."""
    from reference_models.sampling import SamplerSettings

    return SamplerSettings(draws=1000, tune=1000, chains=4)


def _seed_seq(seed: int, ticker: str, *tags: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, zlib.crc32(ticker.encode()), *tags])


def level1_archive(data_dir: str | Path, ticker: str) -> Path | None:
    """The level-1 archive of ``ticker`` in ``data_dir`` (name ``..._<TICKER>_<date>_1.zip``)."""
    for path in find_archives(data_dir):
        parts = path.stem.split("_")
        if len(parts) >= 3 and parts[-3] == ticker and parts[-1] == "1":
            return path
    return None


def window_ends(time_ms: np.ndarray, n_windows: int, window_ms: int, seed: int, ticker: str):
    """One window end per equal slice of [time_ms[0] + window_ms, time_ms[-1]], uniform
    integer ms drawn from the seed; sorted."""
    if n_windows < 1:
        raise ValueError(f"n_windows={n_windows}: must be >= 1")
    lo, hi = int(time_ms[0]) + window_ms, int(time_ms[-1])
    if hi <= lo:
        raise ValueError("the trading day is shorter than one window")
    edges = np.linspace(lo, hi, n_windows + 1)
    rng = np.random.default_rng(_seed_seq(seed, ticker, _TAG_WINDOWS))
    ends = [
        int(rng.integers(int(np.ceil(a)), int(np.floor(b)) + 1))
        for a, b in itertools.pairwise(edges)
    ]
    return sorted(ends)


@dataclass(frozen=True)
class _Window:
    index: int
    end_ms: int
    mask: np.ndarray
    posterior: Any
    online_count: int
    online_cv: float
    heavy_tailed: bool


def _stream(trades: TradeDistances, ends: list[int], config: ConjugateKappaConfig):
    """Feed every trade up to the last window end through the estimator; snapshot at each end."""
    est = ConjugateBayesianKappa(config)
    t, d = trades.time_ms, trades.distance
    out, i = [], 0
    for k, end in enumerate(ends):
        while i < t.size and t[i] <= end:
            est.update(float(d[i]), int(t[i]))
            i += 1
        est.advance(end)
        mask = (t > end - PRODUCTION.window_ms) & (t <= end)
        tail = est.heavy_tail
        out.append(
            _Window(
                k, end, mask, est.posterior, est.observation_count, tail.cv, tail.is_heavy_tailed
            )
        )
    return out


def _fit(
    source: Path, end_ms: int, used: np.ndarray, seed: int, ticker: str, index: int, settings
) -> Any:
    """The gamma_exponential fit of one window, memoised per (archive, end, seed, settings)."""
    from validation.agreement.reference_fits import fit

    key = (str(source), end_ms, seed, settings)
    if key not in _FIT_CACHE:
        if len(_FIT_CACHE) >= _FIT_CACHE_SIZE:
            _FIT_CACHE.pop(next(iter(_FIT_CACHE)))
        model = reference_model(
            "gamma_exponential",
            prior_alpha=PRODUCTION.prior_alpha,
            prior_beta=PRODUCTION.prior_beta,
        )
        mseed = int(_seed_seq(seed, ticker, _TAG_MCMC, index).generate_state(1)[0])
        _FIT_CACHE[key] = fit(model, {"distances": used}, seed=mseed, settings=settings)
    return _FIT_CACHE[key]


def _posterior_numbers(post) -> dict[str, float]:
    lo, hi = post.interval(0.95)
    return {
        "alpha": post.alpha,
        "beta": post.beta,
        "mean": post.mean,
        "sd": post.sd,
        "ci95_low": lo,
        "ci95_high": hi,
    }


def _agreement(ticker, trades, source, windows, seed, settings, timer, step) -> CheckResult:
    alpha_w = ALPHA / len(windows)
    rows, statuses, statistic = [], [], 0.0
    for w in windows:
        used = np.maximum(trades.distance[w.mask], PRODUCTION.min_distance)
        fit_result = _fit(source, w.end_ms, used, seed, ticker, w.index, settings)
        step()
        draws = draws_of(fit_result, "kappa")
        cmp = compare_posterior(w.posterior, draws, alpha=alpha_w, approx_tol=0.0, exact=True)
        ks_ratio = cmp.ks_alpha / max(cmp.ks_pvalue, np.finfo(float).tiny)
        stat = max(cmp.max_ratio, ks_ratio)
        diag = fit_result.diagnostics
        if not diag.usable:
            status = Status.INCONCLUSIVE
        else:
            status = Status.PASS if cmp.agrees else Status.FAIL
            statistic = max(statistic, stat)
        statuses.append(status)
        rows.append(
            {
                "window_end_ms": w.end_ms,
                "n_reference": int(used.size),
                "n_online": w.online_count,
                "online_posterior": _posterior_numbers(w.posterior),
                "online_heavy_tail": {"cv_at_last_update": w.online_cv, "flagged": w.heavy_tailed},
                "mcmc_mean": float(draws.mean()),
                "mcmc_sd": float(draws.std(ddof=1)),
                "statistic": float(stat),
                "status": status.value,
                "comparison": cmp.to_details(),
                "mcmc": McmcRecord.of(fit_result),
            }
        )
    if Status.FAIL in statuses:
        verdict = Status.FAIL
    elif Status.INCONCLUSIVE in statuses:
        verdict = Status.INCONCLUSIVE
    else:
        verdict = Status.PASS
    return CheckResult(
        name=f"realdata.market_kappa_vs_mcmc.{ticker}",
        status=verdict,
        statistic=float(statistic),
        threshold=1.0,
        details={
            "statistic_name": "max over usable windows of max(|online - mcmc| / tolerance, "
            "alpha_KS / p_KS)",
            "per_window_alpha": alpha_w,
            "windows": rows,
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=ALPHA,
    )


def _worst_excess(results: list[tuple[int, PpcResult | None, int]]) -> tuple[float, str]:
    """The largest band excess over tested windows and statistics, and a line describing it."""
    worst = max(
        (excess, k, end, r)
        for end, r, _ in results
        if r is not None
        for k, excess in r.band_excess().items()
    )
    excess, k, end, r = worst
    summary = (
        f"{k} observed {r.observed[k]:.4g} vs replicate 99% band "
        f"[{r.replicated_q005[k]:.4g}, {r.replicated_q995[k]:.4g}] "
        f"(ppp {r.ppp[k]:.3g}, {r.n} trades, window ending at {end} ms)"
    )
    return float(excess), summary


def _ppc_result(
    name: str,
    model_note: str,
    results: list[tuple[int, PpcResult | None, int]],
    seed: int,
    timer: Timer,
    data_files: list[DataFile],
) -> CheckResult:
    tested = [r for _, r, _ in results if r is not None]
    windows = []
    for end, r, n in results:
        row: dict[str, Any] = {"window_end_ms": end, "n": n}
        row.update(r.to_details() if r is not None else {"skipped": f"fewer than {MIN_TRADES}"})
        windows.append(row)
    if not tested:
        status, statistic = Status.INCONCLUSIVE, float("nan")
        size, size_summary = None, "no tested window"
    else:
        statistic = min(r.min_ppp for r in tested)
        status = Status.FAIL if any(r.rejected for r in tested) else Status.PASS
        size, size_summary = _worst_excess(results)
    return CheckResult(
        name=name,
        status=status,
        statistic=float(statistic),
        threshold=PPP_THRESHOLD,
        kind=Kind.ADEQUACY,
        size=size,
        data_files=list(data_files),
        details={
            "statistic_name": "min two-sided posterior predictive p-value over statistics "
            "and windows",
            "size_name": "max over statistics and windows of the observed statistic's "
            "distance outside the replicates' 99% band, in band widths",
            "size_summary": size_summary,
            "model": model_note,
            "statistics": list(STATISTICS),
            "rule": f"FAIL (model rejected) if any ppp < {PPP_THRESHOLD}; Bonferroni bound "
            f"{WINDOW_FALSE_ALARM_BOUND} per window x {len(tested)} tested windows",
            "verdict": (
                "model rejected (misspecified for these data)"
                if status is Status.FAIL
                else "not rejected"
            ),
            "windows": windows,
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=min(1.0, WINDOW_FALSE_ALARM_BOUND * len(tested)),
    )


def _ppcs(ticker, trades, windows, seed, data_files) -> tuple[CheckResult, CheckResult]:
    """Both PPC checks; each reports the wall time of the loop computing both."""
    timer = Timer()
    exp_rows, off_rows = [], []
    for w in windows:
        d_raw = trades.distance[w.mask]
        h = trades.half_spread[w.mask]
        n = int(d_raw.size)
        if n < MIN_TRADES:
            exp_rows.append((w.end_ms, None, n))
            off_rows.append((w.end_ms, None, n))
            continue
        used = np.maximum(d_raw, PRODUCTION.min_distance)
        rng = np.random.default_rng(_seed_seq(seed, ticker, _TAG_PPC, w.index))
        exp_rows.append(
            (
                w.end_ms,
                exponential_ppc(
                    used, h, w.posterior, min_distance=PRODUCTION.min_distance, rng=rng
                ),
                n,
            )
        )
        rng = np.random.default_rng(_seed_seq(seed, ticker, _TAG_OFFSET, w.index))
        off_rows.append(
            (
                w.end_ms,
                offset_ppc(
                    d_raw,
                    h,
                    trades.at_half_spread[w.mask],
                    prior_alpha=PRODUCTION.prior_alpha,
                    prior_beta=PRODUCTION.prior_beta,
                    min_distance=PRODUCTION.min_distance,
                    rng=rng,
                ),
                n,
            )
        )
    exp_check = _ppc_result(
        f"realdata.market_kappa_ppc.{ticker}",
        "d ~ Exp(kappa), kappa ~ online posterior Gamma(a0 + n, b0 + sum d) (shape-rate)",
        exp_rows,
        seed,
        timer,
        data_files,
    )
    off_check = _ppc_result(
        f"realdata.offset_model_ppc.{ticker}",
        "at touch w.p. pi, else d = max(h - x, 0) with x ~ Exp(kappa_inside); "
        "pi ~ Beta(1 + n_at, 1 + n_in), kappa_inside ~ Gamma(a0 + n_in - n_mid, b0 + sum x)",
        off_rows,
        seed,
        timer,
        data_files,
    )
    return exp_check, off_check


def _missing(ticker: str, data_dir: str | Path, seed: int) -> list[CheckResult]:
    reason = f"no level-1 archive for {ticker} in {data_dir}"
    return [
        CheckResult(
            name=f"{prefix}.{ticker}",
            status=Status.INCONCLUSIVE,
            statistic=float("nan"),
            threshold=thr,
            details={"reason": reason},
            seed=seed,
            false_alarm_rate=far,
            kind=kind,
        )
        for prefix, thr, far, kind in (
            ("realdata.market_kappa_vs_mcmc", 1.0, ALPHA, Kind.GATE),
            ("realdata.market_kappa_ppc", PPP_THRESHOLD, 0.0, Kind.ADEQUACY),
            ("realdata.offset_model_ppc", PPP_THRESHOLD, 0.0, Kind.ADEQUACY),
        )
    ]


def audit_market_kappa(
    data_dir: str | Path,
    *,
    seed: int,
    n_windows: int = 3,
    progress: Callable[[int, int], None] | None = None,
    tickers: tuple[str, ...] = TICKERS,
    sampler_settings=None,
    config: ConjugateKappaConfig | None = None,
) -> list[CheckResult]:
    """Three checks per ticker (module docstring), in ticker order.

    Args:
        data_dir: directory holding the LOBSTER zip archives (read in place).
        seed: fixes the window ends, the MCMC seeds and the PPC replicates.
        n_windows: 5-minute windows per ticker (>= 1).
        progress: called as ``progress(done, total)`` after each window's MCMC fit.
        tickers: which tickers to audit.
        sampler_settings: ``reference_models.sampling.SamplerSettings``; default 4 chains x
            1000 draws (1000 tuning).
        config: the online estimator's config (default production). The reference always
            fits the production model, so a different config is a candidate under test.
    """
    settings = sampler_settings if sampler_settings is not None else _default_settings()
    cfg = config if config is not None else ConjugateKappaConfig()
    total, done, out = len(tickers) * n_windows, 0, []

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    for ticker in tickers:
        source = level1_archive(data_dir, ticker)
        if source is None:
            out.extend(_missing(ticker, data_dir, seed))
            for _ in range(n_windows):
                step()
            continue
        timer = Timer()
        trades = trade_distances(load_lobster(source))
        ends = window_ends(trades.time_ms, n_windows, PRODUCTION.window_ms, seed, ticker)
        windows = _stream(trades, ends, cfg)
        agreement = _agreement(ticker, trades, source, windows, seed, settings, timer, step)
        data_files = [DataFile.of(source)]
        exp_check, off_check = _ppcs(ticker, trades, windows, seed, data_files)
        agreement.data_files = list(data_files)
        summary = trades.summary()
        for check in (agreement, exp_check, off_check):
            check.details["day_summary"] = summary
        out.extend([agreement, exp_check, off_check])
    return out
