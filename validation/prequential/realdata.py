"""Prequential audit of LOBSTER days: PIT calibration, sigma vs realized variance, and the
shadow verdict (which version predicts better).

Per ticker (level-1 archive), both versions run through one replay each
(:func:`validation.data.replay.replay_samples` with a :class:`~.probe.PrequentialProbe`,
grid 0.005 $):

* ``realdata.prequential.trade_distance_pit.<T>`` and ``...bucket_return_pit.<T>``
  (ADEQUACY): :func:`.pit_audit.pit_audit` of V2's PITs over 09:35-15:55. On real data there
  is no truth; a failure says the Exponential-distance or diffusion-plus-jumps predictive,
  as the estimator computes it, does not describe what happens next. Size: the largest
  block ECDF-band excursion (> 1 outside the band). The gate counterpart runs on streams
  simulated from the model (:mod:`.simulated`).
* ``realdata.prequential.offset_distance_pit.<T>`` (ADEQUACY): the same audit of the
  offset-model predictive (:mod:`.offset`: the PPC's zero-inflated, mid-censored model,
  updated conjugately over a 5-minute window from the trades and their exact prior quotes;
  the estimator does not carry it, so both versions share it).
* ``realdata.prequential.sigma_vs_rv.<T>`` (ADEQUACY): RMS of V2's ``params().sigma``
  (1 s samples over the session) / sqrt(TSRV), and per hour against the 5 s RV; fails when
  the session ratio is outside [1 / 1.1, 1.1]. Size |ln ratio|.
* ``realdata.prequential.shadow_verdict.<T>`` (ADEQUACY): Diebold-Mariano (HAC) of V1 vs V2
  log score and CRPS on trade distances and bucket returns (paired by event); fails when V2
  scores significantly worse than V1 on any of the four (one-sided, alpha 0.001 / 4). Size:
  the largest such z (0 when none is worse).

Example (about 2 minutes for three tickers)::

    results = audit_prequential("../shared/data/lobster", seed=0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from online.market_params import EstimatorVersion
from online.unified import UnifiedEstimatorConfig, UnifiedParameterEstimator
from validation.data import load_lobster
from validation.data.replay import DEFAULT_BOOK_INTERVAL_MS, ReplayStats, day_until, replay_samples
from validation.prequential.evaluate import score_all, times_of
from validation.prequential.offset import (
    lobster_trades,
    n_outside,
    offset_records,
    offset_scores_of,
)
from validation.prequential.pit_audit import MIN_BLOCK, pit_audit
from validation.prequential.probe import PrequentialProbe
from validation.prequential.scores import diebold_mariano
from validation.prequential.sigma_reference import (
    SESSION_S,
    log_mid_series,
    realized_variances,
)
from validation.realdata.market_kappa import TICKERS, level1_archive
from validation.results import CheckResult, DataFile, Kind, Status

LOBSTER_GRID = 0.005
"""Grid of the LOBSTER mid and of |price - mid| ($): half a one-cent tick."""
ALPHA = 0.001
SIGMA_TOLERANCE = 1.1
VERSIONS = {"V1": EstimatorVersion.legacy_v1, "V2": EstimatorVersion.all_enabled}


def run_version(
    day: Any, version: EstimatorVersion, every_ms: int = 1000
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Replay ``day`` through a probed estimator: (records, sample times ms, sigma samples)."""
    est = UnifiedParameterEstimator(UnifiedEstimatorConfig(version=version))
    probe = PrequentialProbe(est, grid=LOBSTER_GRID)
    feed = replay_samples(day, probe, DEFAULT_BOOK_INTERVAL_MS, every_ms, None, ReplayStats())
    samples = [(t, p.sigma) for t, p in feed]
    t, s = (np.array(c, dtype=float) for c in zip(*samples, strict=True))
    return probe.records(), t, s


def _session(records: dict[str, np.ndarray], start_s: float, end_s: float) -> dict:
    return {
        k: v[(v["time_ms"] >= start_s * 1000) & (v["time_ms"] < end_s * 1000)]
        for k, v in records.items()
    }


def _pit_check(name, times_ms, scores, seed, files, t0, **extra) -> CheckResult:
    """PIT audit of ``scores`` (None: too few records) observed at ``times_ms``."""
    if scores is None:
        return CheckResult(
            name,
            Status.INCONCLUSIVE,
            math.nan,
            1.0,
            {"reason": "no records"},
            seed=seed,
            kind=Kind.ADEQUACY,
            data_files=files,
        )
    audit = pit_audit(times_ms, scores.pit, alpha=ALPHA)
    details = audit.details() | {
        "statistic_name": "max block ECDF excursion",
        "size_name": "max block excursion",
        "n": int(scores.pit.size),
        "mean_log_score": float(scores.log_score.mean()),
        "mean_crps": float(scores.crps.mean()),
        "audit": audit,
        **extra,
        "size_summary": f"{len(audit.rejected_blocks)}/{len(audit.blocks)} blocks outside; "
        f"Ljung-Box p {audit.ljung_box_p}",
    }
    return CheckResult(
        name,
        Status.FAIL if audit.rejected else Status.PASS,
        audit.max_excursion,
        1.0,
        details,
        seed=seed,
        seconds=time.time() - t0,
        false_alarm_rate=ALPHA,
        kind=Kind.ADEQUACY,
        size=audit.max_excursion,
        data_files=files,
    )


def offset_check(day: Any, ticker: str, seed: int, files, t0: float, stop_s: float) -> CheckResult:
    """``realdata.prequential.offset_distance_pit.<T>``: PIT audit of the offset-model
    predictive (:mod:`.offset`, conjugate 5-minute window over the whole day's trades, scored
    over the session)."""
    trades = lobster_trades(day, LOBSTER_GRID)
    table = offset_records(trades)
    t = table["time_ms"]
    table = table[(t >= SESSION_S[0] * 1000) & (t < stop_s * 1000)]
    enough = table.size >= MIN_BLOCK
    scores = offset_scores_of(table, np.random.default_rng(seed)) if enough else None
    return _pit_check(
        f"realdata.prequential.offset_distance_pit.{ticker}",
        table["time_ms"],
        scores,
        seed,
        files,
        t0,
        n_outside_touch=n_outside(trades),
        mean_touch_probability=float(table["p_touch"].mean()) if table.size else math.nan,
        mean_kappa_inside=float(np.mean(table["a"] / table["b"])) if table.size else math.nan,
    )


def sigma_ratios(
    day: Any,
    times_ms: np.ndarray,
    sigma: np.ndarray,
    start_s: float = SESSION_S[0],
    end_s: float = SESSION_S[1],
) -> dict[str, Any]:
    """RMS sigma / sqrt(reference) over the session (every RV and TSRV) and per hour (5 s RV)."""
    ts, x = log_mid_series(day)
    ref = realized_variances(ts, x, start_s, end_s)
    inside = (times_ms >= start_s * 1000) & (times_ms < end_s * 1000) & np.isfinite(sigma)
    rms = float(np.sqrt(np.mean(sigma[inside] ** 2)))
    hours = {}
    for h in range(int(start_s // 3600), math.ceil(end_s / 3600)):
        lo, hi = max(h * 3600.0, start_s), min((h + 1) * 3600.0, end_s)
        sel = inside & (times_ms >= lo * 1000) & (times_ms < hi * 1000)
        if hi - lo >= 600 and sel.any():
            rv5 = realized_variances(ts, x, lo, hi, (5,))["rv_5s"]
            hours[f"{h:02d}h"] = float(np.sqrt(np.mean(sigma[sel] ** 2)) / math.sqrt(rv5))
    return {
        "rms_sigma": rms,
        "reference_sigma": {k: math.sqrt(v) for k, v in ref.items()},
        "ratio": {k: rms / math.sqrt(v) for k, v in ref.items()},
        "ratio_per_hour_rv_5s": hours,
    }


def _sigma_check(name, ratios, seed, files, t0) -> CheckResult:
    ratio = ratios["ratio"]["tsrv"]
    size = abs(math.log(ratio))
    failed = size > math.log(SIGMA_TOLERANCE)
    details = ratios | {
        "statistic_name": "|ln(RMS sigma / sqrt(TSRV))|",
        "size_name": "|ln ratio|",
        "tolerance_ratio": SIGMA_TOLERANCE,
        "size_summary": f"RMS sigma / TSRV sigma = {ratio:.3f}",
    }
    return CheckResult(
        name,
        Status.FAIL if failed else Status.PASS,
        size,
        math.log(SIGMA_TOLERANCE),
        details,
        seed=seed,
        seconds=time.time() - t0,
        kind=Kind.ADEQUACY,
        size=size,
        data_files=files,
    )


def shadow_verdict(records: dict[str, dict], rng_seed: int) -> dict[str, dict[str, Any]]:
    """Per quantity and score: DM of V1 (forecaster 1) vs V2 (forecaster 2), paired by event
    index; ``mean_difference`` = V2 - V1 (negative: V2 better)."""
    out: dict[str, dict[str, Any]] = {}
    for quantity, key in (("trade_distance", "trades"), ("bucket_return", "returns")):
        a, b = records["V1"][key], records["V2"][key]
        common, ia, ib = np.intersect1d(a["index"], b["index"], return_indices=True)
        if common.size < 50:
            continue
        sa = score_all({**_empty(), key: a[ia]}, np.random.default_rng(rng_seed))[quantity]
        sb = score_all({**_empty(), key: b[ib]}, np.random.default_rng(rng_seed))[quantity]
        for score in ("log_score", "crps"):
            dm = diebold_mariano(getattr(sa, score), getattr(sb, score))
            better = "V2" if dm.ci_high < 0 else "V1" if dm.ci_low > 0 else "neither"
            out[f"{quantity}.{score}"] = dm.to_dict() | {"better": better}
    return out


def _empty() -> dict[str, np.ndarray]:
    from validation.prequential.probe import RETURN_FIELDS, TRADE_FIELDS

    def e(f):
        return np.zeros(0, dtype=[(n, float) for n in f])

    return {"trades": e(TRADE_FIELDS), "own_fills": e(TRADE_FIELDS), "returns": e(RETURN_FIELDS)}


def _verdict_check(name, verdict, seed, files, t0) -> CheckResult:
    z_crit = float(stats.norm.isf(ALPHA / 4))
    worse = [v["z"] for v in verdict.values()]  # z > 0: V2's score is higher = worse
    size = max([0.0, *worse])
    details = {
        "comparisons": verdict,
        "z_critical": z_crit,
        "statistic_name": "largest z of V2 - V1 (positive: V2 worse)",
        "size_name": "largest z of V2 worse",
        "size_summary": "; ".join(
            f"{k}: {v['better']} better by "
            f"{abs(v['mean_difference']):.3g} "
            f"[{v['ci_low']:.3g}, {v['ci_high']:.3g}]"
            for k, v in verdict.items()
        ),
    }
    return CheckResult(
        name,
        Status.FAIL if size > z_crit else Status.PASS,
        size,
        z_crit,
        details,
        seed=seed,
        seconds=time.time() - t0,
        false_alarm_rate=ALPHA,
        kind=Kind.ADEQUACY,
        size=size,
        data_files=files,
    )


def audit_ticker(
    path: Path,
    ticker: str,
    seed: int,
    end_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[CheckResult]:
    """The prequential checks of one ticker's day (module docstring)."""
    t0 = time.time()
    day = load_lobster(path)
    if end_s is not None:
        day = day_until(day, end_s)
    stop = SESSION_S[1] if end_s is None else min(SESSION_S[1], end_s)
    files = [DataFile.of(path)]
    records, sigmas = {}, {}
    for label, make in VERSIONS.items():
        if progress:
            progress(f"  prequential replay {ticker} {label}")
        rec, t, s = run_version(day, make())
        records[label] = _session(rec, SESSION_S[0], stop)
        sigmas[label] = (t, s)
    v2_scores = score_all(records["V2"], np.random.default_rng(seed))
    prefix = "realdata.prequential"
    results = [
        _pit_check(
            f"{prefix}.{q}_pit.{ticker}",
            times_of(records["V2"], q),
            v2_scores.get(q),
            seed,
            files,
            t0,
        )
        for q in ("trade_distance", "bucket_return")
    ]
    results.append(offset_check(day, ticker, seed, files, t0, stop))
    ratios = {lbl: sigma_ratios(day, *sigmas[lbl], SESSION_S[0], stop) for lbl in VERSIONS}
    check = _sigma_check(f"{prefix}.sigma_vs_rv.{ticker}", ratios["V2"], seed, files, t0)
    check.details["v1"] = ratios["V1"]
    results.append(check)
    verdict = shadow_verdict(records, seed)
    results.append(_verdict_check(f"{prefix}.shadow_verdict.{ticker}", verdict, seed, files, t0))
    return results


def audit_prequential(
    data_dir: str | Path,
    seed: int = 0,
    tickers: tuple[str, ...] = TICKERS,
    end_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[CheckResult]:
    """:func:`audit_ticker` for every ticker whose level-1 archive is in ``data_dir``."""
    out: list[CheckResult] = []
    for ticker in tickers:
        path = level1_archive(data_dir, ticker)
        if path is None:
            out.append(
                CheckResult(
                    f"realdata.prequential.{ticker}",
                    Status.INCONCLUSIVE,
                    math.nan,
                    math.nan,
                    {"reason": f"no archive in {data_dir}"},
                    seed=seed,
                    kind=Kind.ADEQUACY,
                )
            )
            continue
        out += audit_ticker(path, ticker, seed, end_s, progress)
    return out
