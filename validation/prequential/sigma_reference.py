"""Model-free sigma reference from LOBSTER mid quotes: realized variance and two-scale RV.

Log mid x(t) = ln((best bid + best ask) / 2) after every message (rows with an empty side are
dropped), over [start_s, end_s) (seconds after midnight; default 09:35-15:55, clear of the
open and close auctions). Per second, in (log return)^2 / s:

* ``rv[k]``: sum of squared previous-tick returns on a k-second grid, / (end - start);
* ``tsrv``: two-scale RV (Zhang, Mykland and Ait-Sahalia 2005) on the tick-time series of n
  returns, K = ceil(n^(2/3)) subgrids: (RV_avg(K) - (n_bar / n) RV_all) / (1 - n_bar / n),
  n_bar = (n - K + 1) / K, which removes the microstructure-noise bias of RV_all.

sqrt of each is a sigma per sqrt(s) comparable with ``MarketParams.sigma``.

Example::

    >>> import numpy as np
    >>> t = np.arange(0, 3600.0, 0.5)
    >>> x = np.cumsum(np.random.default_rng(0).normal(0, 1e-4 * 0.5 ** 0.5, t.size))
    >>> r = realized_variances(t, x, 0.0, 3600.0)
    >>> 0.8 < (r["rv_1s"] / 1e-8) < 1.2 and 0.7 < (r["tsrv"] / 1e-8) < 1.3
    True
"""

from __future__ import annotations

import math

import numpy as np

SESSION_S = (9.5 * 3600 + 300.0, 16 * 3600 - 300.0)
INTERVALS_S = (1, 5, 10, 30, 60)


def log_mid_series(day) -> tuple[np.ndarray, np.ndarray]:
    """(time_s, log mid) of a LobsterDay after every message with both sides quoted."""
    bid, ask = day.bid_price[:, 0], day.ask_price[:, 0]
    ok = np.isfinite(bid) & np.isfinite(ask) & (ask > bid)
    return day.messages["time_s"][ok].astype(float), np.log(0.5 * (bid[ok] + ask[ok]))


def _previous_tick(t: np.ndarray, x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(t, grid, side="right") - 1
    return x[np.maximum(idx, 0)]


def tsrv(x: np.ndarray) -> float:
    """Two-scale realized variance of the series ``x`` (module docstring), total, not per s."""
    n = x.size - 1
    if n < 8:
        raise ValueError(f"need at least 9 observations, got {x.size}")
    k = math.ceil(n ** (2.0 / 3.0))
    rv_all = float(np.sum(np.diff(x) ** 2))
    rv_avg = float(np.mean([np.sum(np.diff(x[j::k]) ** 2) for j in range(k)]))
    n_bar = (n - k + 1) / k
    return (rv_avg - n_bar / n * rv_all) / (1.0 - n_bar / n)


def realized_variances(
    time_s: np.ndarray,
    log_mid: np.ndarray,
    start_s: float = SESSION_S[0],
    end_s: float = SESSION_S[1],
    intervals_s: tuple[int, ...] = INTERVALS_S,
) -> dict[str, float]:
    """``rv_<k>s`` per interval and ``tsrv``, per second over [start_s, end_s)."""
    t, x = np.asarray(time_s, dtype=float), np.asarray(log_mid, dtype=float)
    if end_s <= start_s:
        raise ValueError(f"end_s={end_s} must exceed start_s={start_s}")
    span = end_s - start_s
    out = {}
    for k in intervals_s:
        grid = np.arange(start_s, end_s + 1e-9, float(k))
        out[f"rv_{k}s"] = float(np.sum(np.diff(_previous_tick(t, x, grid)) ** 2)) / span
    inside = (t >= start_s) & (t < end_s)
    xs = x[inside]
    changed = np.concatenate([[True], np.diff(xs) != 0.0])  # tick time: mid changes only
    out["tsrv"] = tsrv(xs[changed]) / span
    return out
