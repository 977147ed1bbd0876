"""Bulk kernels (online.bulk) against the streaming loop, river, pandas and polars.

Run from the repository root::

    python -m benchmarks.bulk [--n 1000000] [--repeats 5] [--seed 0]

One seeded data set, one process. Every contender gets the same arrays, prepared outside the
timed region (Python lists for the loops, a ``pd.Series`` with datetime ``times``, a polars
``DataFrame``); the timed region is the computation of the whole per-update path. Bulk timings
include input validation; the first bulk call (numba compile or cache load) is done before
timing and reported separately. Each row gives the median wall time over the repeats, the
ratio ``contender / bulk`` (> 1: bulk is faster) and the largest absolute difference from the
bulk output, so a "like-for-like" claim is checked, not asserted.

Like-for-like (same estimator, same numbers to rounding):

* ``tick_ewma``: streaming ``TickEWMA``, river ``EWMean(fading_factor=alpha)``, pandas
  ``ewm(halflife=h, adjust=False).mean()``, polars ``ewm_mean(half_life=h, adjust=False)``.
* ``ewma_variance``: streaming ``TickEWMAVariance``, pandas and polars
  ``ewm(halflife=h, adjust=False).var(bias=True)``. Ours is the *biased* weighted variance (no
  bias correction); the pandas/polars default ``bias=False`` is a different number. river
  ``EWVar`` is the same weights but computes ``EWMean(x**2) - EWMean(x)**2``, so it differs by
  cancellation error (shown by its difference column).
* ``time_ewma``: pandas ``ewm(halflife=Timedelta(H ms), times=...).mean()`` (adjust=True,
  normalised). polars ``ewm_mean_by(by=t, half_life="H ms")`` is *not* the same estimator: it
  is the un-normalised recursion ``y <- y + (1 - 2**(-dt/H)) (x - y)`` seeded with ``x_0``,
  in which a repeated timestamp (dt = 0) gets zero weight; it does the same amount of work and
  is listed for speed only (its difference column is large).
* ``hybrid_ewma``, ``parameter_covariance``, ``soft_jump_path``: streaming loop only (no
  library equivalent).
* ``conjugate_kappa_posterior``: the streaming ``ConjugateBayesianKappa.update`` also feeds
  its heavy-tail detector (window coefficient of variation) on every update, which the bulk
  kernel does not compute, so that ratio overstates the speed-up of the posterior alone.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata

import numpy as np
import pandas as pd
import polars as pl
from river import stats as river_stats

from online.bulk import (
    conjugate_kappa_posterior,
    ewma_variance,
    hybrid_ewma,
    parameter_covariance,
    soft_jump_path,
    tick_ewma,
    time_ewma,
)
from online.conjugate_kappa import ConjugateBayesianKappa
from online.covariance import ParameterCovariance
from online.ewma import HybridEWMA, TickEWMA, TickEWMAVariance, tick_alpha
from online.soft_jump import SoftJumpClassifier

HALF_LIFE_TICKS = 50.0
TIME_HALF_LIFE_MS = 1_000.0


def _median_seconds(run: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of ``run()`` over ``repeats`` calls (gc off), and the last result."""
    times, result = [], None
    for _ in range(repeats):
        gc.disable()
        try:
            t0 = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return statistics.median(times), result


def _loop(update: Callable, read: Callable, *columns: list) -> np.ndarray:
    out = []
    for args in zip(*columns, strict=True):
        update(*args)
        out.append(read())
    return np.array(out, dtype=float)


def _streaming_tick(xs):
    est = TickEWMA(HALF_LIFE_TICKS)
    return _loop(est.update, lambda: est.value, xs)


def _streaming_variance(xs):
    est = TickEWMAVariance(HALF_LIFE_TICKS)
    return _loop(est.update, lambda: est.variance, xs)


def _streaming_hybrid(xs, ts):
    est = HybridEWMA(HALF_LIFE_TICKS, TIME_HALF_LIFE_MS)
    return _loop(est.update, lambda: est.value, xs, ts)


def _streaming_cov(ks, ss):
    est = ParameterCovariance()
    return _loop(est.update, est.covariance, ks, ss)


def _streaming_kappa(ds, ts):
    est = ConjugateBayesianKappa()
    return _loop(est.update, lambda: est.posterior.beta, ds, ts)


def _streaming_soft_jump(rs):
    est = SoftJumpClassifier(1e-4)
    return np.array([est.update(r) for r in rs])


def _river(cls, xs):
    est = cls(fading_factor=tick_alpha(HALF_LIFE_TICKS))
    return _loop(est.update, est.get, xs)


def _polars(df: pl.DataFrame, expr: pl.Expr) -> np.ndarray:
    return df.select(expr).to_series().to_numpy()


def _data(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 100.0 + rng.normal(size=n)
    gaps = rng.integers(0, 200, size=n)
    gaps[rng.random(n) < 0.25] = 0  # repeated timestamps
    r = rng.normal(0.0, 1e-4, size=n)
    jumps = rng.random(n) < 0.02
    r[jumps] *= 8.0
    return {
        "x": x,
        "t": np.cumsum(gaps),
        "kappa": 2500.0 * np.exp(0.1 * rng.normal(size=n)),
        "sigma": 1e-4 * np.exp(0.1 * rng.normal(size=n)),
        "distance": rng.exponential(4e-4, size=n),
        "returns": r,
    }


def _cases(data: dict[str, np.ndarray]) -> list[tuple[str, Callable, list[tuple[str, Callable]]]]:
    x, t, h = data["x"], data["t"], HALF_LIFE_TICKS
    xs, ts = x.tolist(), t.tolist()
    series = pd.Series(x)
    times = pd.to_datetime(t, unit="ms")
    df = pl.DataFrame({"x": x, "t": pl.Series(times)})
    hms = TIME_HALF_LIFE_MS
    col = pl.col("x")
    return [
        ("tick_ewma", lambda: tick_ewma(x, h), [
            ("streaming TickEWMA", lambda: _streaming_tick(xs)),
            ("river EWMean", lambda: _river(river_stats.EWMean, xs)),
            ("pandas ewm(adjust=False).mean", lambda: series.ewm(halflife=h, adjust=False)
             .mean().to_numpy()),
            ("polars ewm_mean(adjust=False)", lambda: _polars(
                df, col.ewm_mean(half_life=h, adjust=False))),
        ]),
        ("ewma_variance", lambda: ewma_variance(x, h).variance, [
            ("streaming TickEWMAVariance", lambda: _streaming_variance(xs)),
            ("river EWVar (E[x2]-E[x]2)", lambda: _river(river_stats.EWVar, xs)),
            ("pandas ewm.var(bias=True)", lambda: series.ewm(halflife=h, adjust=False)
             .var(bias=True).to_numpy()),
            ("polars ewm_var(bias=True)", lambda: _polars(
                df, col.ewm_var(half_life=h, adjust=False, bias=True))),
        ]),
        ("time_ewma", lambda: time_ewma(x, t, hms), [
            ("pandas ewm(halflife, times)", lambda: series.ewm(
                halflife=pd.Timedelta(milliseconds=hms), times=times).mean().to_numpy()),
            ("polars ewm_mean_by [not same]", lambda: _polars(
                df, col.ewm_mean_by("t", half_life=f"{int(hms)}ms"))),
        ]),
        ("hybrid_ewma", lambda: hybrid_ewma(x, t, h, hms).value, [
            ("streaming HybridEWMA", lambda: _streaming_hybrid(xs, ts)),
        ]),
        ("parameter_covariance",
         lambda: parameter_covariance(data["kappa"], data["sigma"]).covariance, [
            ("streaming ParameterCovariance", lambda: _streaming_cov(
                data["kappa"].tolist(), data["sigma"].tolist())),
        ]),
        ("conjugate_kappa_posterior", lambda: conjugate_kappa_posterior(
            data["distance"], t).beta, [
            ("streaming ConjugateBayesianKappa*", lambda: _streaming_kappa(
                data["distance"].tolist(), ts)),
        ]),
        ("soft_jump_path", lambda: soft_jump_path(
            data["returns"], initial_sigma_diffusion=1e-4).p_jump, [
            ("streaming SoftJumpClassifier", lambda: _streaming_soft_jump(
                data["returns"].tolist())),
        ]),
    ]  # fmt: skip


def _versions() -> str:
    pkgs = ("numpy", "scipy", "numba", "pandas", "polars", "river")
    return "; ".join(
        [f"python {sys.version.split()[0]}", platform.platform(), f"cpus {os.cpu_count()}"]
        + [f"{p} {metadata.version(p)}" for p in pkgs]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="events per stream")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print(_versions())
    print(f"n={args.n} repeats={args.repeats} seed={args.seed} half_life_ticks="
          f"{HALF_LIFE_TICKS:g} time_half_life_ms={TIME_HALF_LIFE_MS:g}")  # fmt: skip
    cases = _cases(_data(args.n, args.seed))
    header = f"{'kernel':<26} {'contender':<34} {'median s':>10} {'x bulk':>8} {'max|diff|':>10}"
    print("\n" + header + "\n" + "-" * len(header))
    for name, bulk, contenders in cases:
        t0 = time.perf_counter()
        bulk()
        first = time.perf_counter() - t0
        bulk_s, ours = _median_seconds(bulk, args.repeats)
        print(f"{name:<26} {'bulk (first call ' + f'{first:.3f} s)':<34} {bulk_s:>10.4f}")
        for label, run in contenders:
            sec, theirs = _median_seconds(run, args.repeats)
            diff = float(np.nanmax(np.abs(np.asarray(theirs, dtype=float) - ours)))
            print(f"{'':<26} {label:<34} {sec:>10.4f} {sec / bulk_s:>8.1f} {diff:>10.2e}")
    print(
        "\nx bulk = contender median / bulk median (> 1: bulk faster). "
        "* streaming kappa also runs its heavy-tail detector. "
        "Shared machine: medians are noisy."
    )


if __name__ == "__main__":
    main()
