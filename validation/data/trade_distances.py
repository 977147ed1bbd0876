"""Distances of market trades from the mid-quote prevailing before them.

For an execution message ``i`` (type 4 visible or 5 hidden) the prevailing quote is book row
``i - 1`` (row ``i`` is already the book after the execution). With best ask ``a``, best bid
``b`` and trade price ``p``:

    mid          m = (a + b) / 2
    distance     d = |p - m| / m = |2p - (a + b)| / (a + b)      (fraction of the mid)
    half_spread  h = (a - b) / (2m) = (a - b) / (a + b)          (fraction of the mid)

Both are computed from the integer LOBSTER prices (dollars x 10000) with a single division, so
a trade exactly at the touch has ``distance == half_spread`` bit for bit, and the
at/inside/outside classification is exact. 1 bp = 1e-4.

Executions are dropped, and counted per reason, when there is no prior book row (message 0),
when the prior quote is missing on either side (unoccupied level), or when it is crossed or
locked (``a <= b``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from validation.data.lobster import PRICE_SCALE, LobsterDay

EXECUTION_TYPES = (4, 5)
"""LOBSTER message types that are trades: 4 visible execution, 5 hidden execution."""


@dataclass(frozen=True, eq=False)
class TradeDistances:
    """Per-trade distances from the prior mid, plus counts of the executions dropped.

    Attributes:
        time_ms: int64 milliseconds after midnight (truncated), one per kept trade.
        distance: |price - mid| / mid (fraction of the mid).
        half_spread: (ask - bid) / (ask + bid) of the prior quote (fraction of the mid).
        size: shares executed.
        message_index: row of the execution in ``LobsterDay.messages``.
        at_half_spread: True where the trade price equals the prior best bid or ask exactly.
        n_executions: executions (types 4 and 5) in the day, kept or not.
        n_no_prior_book: dropped because the execution is message 0.
        n_no_quote: dropped because the prior best bid or ask is unoccupied.
        n_crossed: dropped because the prior book is crossed or locked (ask <= bid).
    """

    time_ms: np.ndarray
    distance: np.ndarray
    half_spread: np.ndarray
    size: np.ndarray
    message_index: np.ndarray
    at_half_spread: np.ndarray
    n_executions: int
    n_no_prior_book: int
    n_no_quote: int
    n_crossed: int

    @property
    def n_kept(self) -> int:
        return len(self.distance)

    def summary(self) -> dict[str, float | int]:
        """Counts and shape statistics of the kept distances.

        ``fraction_inside`` counts trades strictly inside the prior half-spread,
        ``fraction_outside`` strictly beyond it; ``cv`` is sd / mean with ``ddof=1`` (an
        exponential has CV 1); ``median_distance_bps`` is in basis points.
        """
        n = self.n_kept
        d = self.distance
        inside = int(np.count_nonzero(d < self.half_spread))
        outside = int(np.count_nonzero(d > self.half_spread))
        return {
            "n_executions": self.n_executions,
            "n_kept": n,
            "n_no_prior_book": self.n_no_prior_book,
            "n_no_quote": self.n_no_quote,
            "n_crossed": self.n_crossed,
            "fraction_at_half_spread": float(np.count_nonzero(self.at_half_spread) / n),
            "fraction_inside": inside / n,
            "fraction_outside": outside / n,
            "median_distance_bps": float(np.median(d) * 1e4),
            "mean_distance_bps": float(np.mean(d) * 1e4),
            "cv": float(np.std(d, ddof=1) / np.mean(d)),
        }


def trade_distances(day: LobsterDay) -> TradeDistances:
    """Distance of every execution from the mid of the book row before it (see module doc)."""
    msgs = day.messages
    executions = np.flatnonzero(np.isin(msgs["type"], EXECUTION_TYPES))
    first = executions == 0
    idx = executions[~first]
    ask = day.ask_price[idx - 1, 0]
    bid = day.bid_price[idx - 1, 0]
    no_quote = np.isnan(ask) | np.isnan(bid)
    crossed = ~no_quote & (ask <= bid)
    keep = ~no_quote & ~crossed
    idx, ask, bid = idx[keep], ask[keep], bid[keep]

    a, b, p = _ticks(ask), _ticks(bid), _ticks(msgs["price"][idx])
    total = (a + b).astype(np.float64)
    offset = np.abs(2 * p - (a + b))
    distance = offset / total
    half_spread = (a - b) / total
    time_ns = np.rint(msgs["time_s"][idx] * 1e9).astype(np.int64)
    return TradeDistances(
        time_ms=time_ns // 1_000_000,
        distance=distance,
        half_spread=half_spread,
        size=msgs["size"][idx].astype(np.int64),
        message_index=idx.astype(np.int64),
        at_half_spread=offset == (a - b),
        n_executions=len(executions),
        n_no_prior_book=int(np.count_nonzero(first)),
        n_no_quote=int(np.count_nonzero(no_quote)),
        n_crossed=int(np.count_nonzero(crossed)),
    )


def _ticks(dollars: np.ndarray) -> np.ndarray:
    """Dollar prices back to the integer LOBSTER prices (exact: raw / 10000 * 10000 rounds)."""
    return np.rint(dollars * PRICE_SCALE).astype(np.int64)
