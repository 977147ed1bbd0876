"""Record each one-step-ahead predictive from the live estimator state, just before the
observation it predicts reaches the estimator.

:class:`PrequentialProbe` wraps a :class:`~online.unified.UnifiedParameterEstimator` (or any
object with its handlers and read-only properties) and forwards every event, so it can be fed
by :func:`validation.data.replay.replay` (LOBSTER) or :func:`validation.market.feed_session`
(simulated market). What it records, from public outputs only:

* **market trade** (while ``kappa_source == "market_trades"``): the reported kappa posterior
  Gamma(a, b) rebuilt from ``params()`` (a = (kappa / sd)^2, b = kappa / sd^2, exact for a
  Gamma), read *before* ``on_trade``; the observed distance |price - mid| / mid with mid the
  last book's. The window is not advanced to the trade time first: the predictive is the
  state after the previous event. Distances at or below the estimator's floor
  (``ConjugateKappaConfig.min_distance``) are the cell [0, floor].
* **own fill** (while ``kappa_source == "own_fills"``): the same Gamma from ``params()``. With
  adverse moves the reported kappa includes phi < 1 (a quoting kappa, not the fill-distance
  law), so this predictive is a claim about fill distances only when phi = 1, e.g. on simulated
  sessions with non-positive adverse moves.
* **bucket return**: at each bucket close, r = ln(m_k / m_{k-1}) of the book mid at the two
  closes and dt = tau_k - tau_{k-1}, tau_k the time of the book that quoted m_k (the mid is a
  point sample of the quoted mid at tau_k, so its variance over the bucket is sigma^2 dt; the
  close times would overstate it by the quote staleness). Both are independent of the
  estimator's return flag, so every version predicts the same target. Returns with dt = 0
  (no new book between the closes: r = 0 for certain) are not scored. It is scored against
  the predictive of :mod:`validation.prequential.predictive` built from ``params().sigma`` and
  ``jump_mixture`` as they stood after the previous close (bipower, classifier, clock
  intensity and the 1 s EWMA change only at bucket closes, so that is the state just before
  the return). Buckets without a sigma yet are not scored.

The offset-model predictive of each trade distance is not recorded here: the estimator does
not carry that model, so :mod:`validation.prequential.offset` updates its parameters from the
trades themselves.

``grid`` (price units) is the grid of the mid and of |price - mid| (LOBSTER: 0.005 $, half a
cent tick); an observation x is the cell [x - grid/2, x + grid/2]. ``grid=None``: exact
observations (simulated prices are continuous).

Example::

    >>> import numpy as np
    >>> from online.unified import UnifiedParameterEstimator
    >>> from validation.market import MarketSpec, feed_session, simulate_market
    >>> s = simulate_market(MarketSpec(duration_s=300.0), np.random.default_rng(0))
    >>> probe = PrequentialProbe(UnifiedParameterEstimator())
    >>> _ = feed_session(s, probe, [])
    >>> probe.records()["trades"].shape[0] > 100
    True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

TRADE_FIELDS = ("index", "time_ms", "lo", "hi", "a", "b")
RETURN_FIELDS = ("index", "time_ms", "lo", "hi", "dt_s", "sigma", "pi", "var_jump")
FILL_FIELDS = TRADE_FIELDS


def gamma_of(params: Any) -> tuple[float, float] | None:
    """Shape and rate (a, b) of the Gamma with ``params``' kappa mean and sd; None when either
    is not finite and > 0."""
    kappa, sd = params.kappa, params.kappa_uncertainty
    if not (math.isfinite(kappa) and math.isfinite(sd)) or kappa <= 0.0 or sd <= 0.0:
        return None
    return (kappa / sd) ** 2, kappa / sd**2


def distance_cell(lo: float, hi: float, floor: float) -> tuple[float, float]:
    """The cell [lo, hi] of a distance, or [0, floor] when it lies at or below the floor."""
    return (0.0, floor) if hi <= floor else (lo, hi)


class PrequentialProbe:
    """Forward events to ``estimator``; record each predictive before its observation."""

    def __init__(self, estimator: Any, grid: float | None = None) -> None:
        if grid is not None and not grid > 0.0:
            raise ValueError(f"grid={grid!r}: must be None or > 0 (price units)")
        self.estimator = estimator
        self.grid = grid
        self._floor = float(estimator.config.market_kappa.min_distance)
        self._trades: list[tuple[float, ...]] = []
        self._fills: list[tuple[float, ...]] = []
        self._returns: list[tuple[float, ...]] = []
        self._n_trades = 0
        self._n_fills = 0
        self._book_ms: int | None = None
        self._close: tuple[int, float] | None = None
        self._return_state: tuple[float, float, float] | None = None

    # ------------------------------------------------------------ forwarded handlers
    def on_l2_book(self, *args: Any) -> None:
        self.estimator.on_l2_book(*args)
        self._book_ms = int(args[-1])

    def on_trade(self, price: float, size: float, is_buy: bool, timestamp_ms: int) -> None:
        est = self.estimator
        pending = self._distance_record(price, timestamp_ms, "market_trades", self._n_trades)
        before = est.bucket_count
        est.on_trade(price, size, is_buy, timestamp_ms)  # raises: nothing recorded
        self._n_trades += 1
        if pending is not None:
            self._trades.append(pending)
        if est.bucket_count != before:
            self._on_close(int(timestamp_ms))

    def on_own_fill(
        self,
        price: float,
        size: float,
        is_buy: bool,
        timestamp_ms: int,
        adverse_move_bps: float | None = None,
    ) -> None:
        pending = self._distance_record(price, timestamp_ms, "own_fills", self._n_fills)
        self.estimator.on_own_fill(price, size, is_buy, timestamp_ms, adverse_move_bps)
        self._n_fills += 1
        if pending is not None:
            self._fills.append(pending)

    # ------------------------------------------------------------ forwarded outputs
    def params(self) -> Any:
        return self.estimator.params()

    @property
    def kappa_source(self) -> str:
        return self.estimator.kappa_source

    @property
    def bucket_count(self) -> int:
        return self.estimator.bucket_count

    @property
    def last_jump_probability(self) -> float | None:
        return self.estimator.last_jump_probability

    # ------------------------------------------------------------ recording
    def _cell(self, x: float) -> tuple[float, float]:
        half = 0.0 if self.grid is None else 0.5 * self.grid
        return x - half, x + half

    def _distance_record(
        self, price: float, t: int, source: str, index: int
    ) -> tuple[float, ...] | None:
        est = self.estimator
        mid = est.mid
        if mid is None or est.kappa_source != source:
            return None
        gamma = gamma_of(est.params())
        if gamma is None:
            return None
        lo, hi = self._cell(abs(price - mid))
        return (index, t, *distance_cell(max(lo, 0.0) / mid, hi / mid, self._floor), *gamma)

    def _on_close(self, t: int) -> None:
        est = self.estimator
        mid = est.mid
        if mid is None:
            self._close = None
            return
        tau = self._book_ms
        if self._close is not None and self._return_state is not None:
            tau0, m0 = self._close
            dt_s = (tau - tau0) / 1000.0
            lo, hi = self._cell(mid)
            if dt_s > 0.0 and lo > 0.0:
                sigma, pi, var_jump = self._return_state
                r_lo, r_hi = math.log(lo / m0), math.log(hi / m0)
                self._returns.append((est.bucket_count, t, r_lo, r_hi, dt_s, sigma, pi, var_jump))
        self._close = (tau, mid)
        sigma = est.params().sigma
        mix = est.jump_mixture if hasattr(est, "jump_mixture") else None
        pi, var_jump = (0.0, 0.0) if mix is None else (mix[0], mix[2] ** 2 - mix[1] ** 2)
        ok = math.isfinite(sigma) and sigma > 0.0
        self._return_state = (sigma, pi, max(var_jump, 0.0)) if ok else None

    def records(self) -> dict[str, np.ndarray]:
        """Structured arrays ``trades``, ``own_fills`` and ``returns`` (fields above; units:
        ms, fractions of the mid, log returns, s, sigma per sqrt(s), var_jump per bucket)."""

        def table(rows: list[tuple[float, ...]], names: tuple[str, ...]) -> np.ndarray:
            dtype = [(n, np.int64 if n in ("index", "time_ms") else np.float64) for n in names]
            return np.array([tuple(r) for r in rows], dtype=dtype)

        return {
            "trades": table(self._trades, TRADE_FIELDS),
            "own_fills": table(self._fills, FILL_FIELDS),
            "returns": table(self._returns, RETURN_FIELDS),
        }
