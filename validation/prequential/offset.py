"""One-step-ahead predictive of each market-trade distance under the zero-inflated,
mid-censored offset model the real-data PPC fits (:mod:`validation.realdata.ppc`).

The estimator does not carry this model, so its parameters are updated here, conjugately and
in time order, from the trades alone: for trade i the posterior is the PPC's,
pi ~ Beta(1 + n_at, 1 + n_in) and kappa_inside ~ Gamma(a0 + n_in - n_mid, b0 + sum x), over
the trades j < i with t_j > t_i - ``window_ms`` (the estimator's 5-minute window, as the
PPC's windows). Here n_at counts trades at the touch, n_in those inside it, n_mid those at
the mid (x >= h, right-censored), x = h - d. Its predictive is that of
:func:`validation.prequential.predictive.offset_scores` with p = E[pi] and
x ~ Lomax(a, b). Trades outside the touch (d > h) are outside the model: neither scored nor
counted (their number is reported).

Inputs: :class:`OffsetTrades`, from a LOBSTER day (:func:`lobster_trades`: the exact prior
quote of :func:`validation.data.trade_distances.trade_distances`, as the PPC) or a simulated
session (:func:`session_trades`: the latest book).

**Cells.** Inside the touch a LOBSTER price is on the cent grid, so x = h - d is a multiple
of one tick (0.01 $) and an inside trade is the cell of x of half-width w = 0.005 $ / mid,
d in [d - w, d + w] clipped at 0 (the cell at the mid holds the censored x >= h - w), the
innermost tick's cell reaching up to the touch (x in (0, 3w]: an improvement is at least a
tick). The touch itself is the atom p, observed exactly (the PPC's at-touch flag). These cells
tile [0, h], so the randomised PIT is exactly uniform when the latent x is continuous and
read to the nearest tick (at least one). w = 0 (simulated prices): exact observations.

Example::

    >>> import numpy as np
    >>> from validation.market import MarketSpec, simulate_market
    >>> s = simulate_market(MarketSpec(duration_s=300.0, pricing="offset", touch_prob=0.5,
    ...                                half_spread=5e-4), np.random.default_rng(0))
    >>> table = offset_records(session_trades(s))
    >>> t = offset_scores_of(table, np.random.default_rng(1))
    >>> bool(np.all((t.pit >= 0) & (t.pit <= 1))), table.size > 400
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from online.conjugate_kappa import ConjugateKappaConfig
from validation.data.trade_distances import trade_distances
from validation.market.simulate import BOOK, TRADE, MarketSession
from validation.prequential.predictive import Scores, offset_scores
from validation.realdata.ppc import PI_PRIOR

OFFSET_FIELDS = ("index", "time_ms", "lo", "hi", "d", "h", "p_touch", "a", "b")
_PRODUCTION = ConjugateKappaConfig()


@dataclass(frozen=True)
class OffsetTrades:
    """Trades in time order: time (ms), distance and half-spread (fractions of the mid),
    at-touch flag, and cell half-width w (fraction of the mid; 0 for exact prices)."""

    time_ms: np.ndarray
    distance: np.ndarray
    half_spread: np.ndarray
    at_touch: np.ndarray
    half_width: np.ndarray

    def __post_init__(self) -> None:
        n = self.time_ms.shape
        for name in ("distance", "half_spread", "at_touch", "half_width"):
            if getattr(self, name).shape != n:
                raise ValueError(f"{name}: shape {getattr(self, name).shape}, expected {n}")
        if np.any(np.diff(self.time_ms) < 0):
            raise ValueError("time_ms must be nondecreasing")


def lobster_trades(day, grid: float = 0.005) -> OffsetTrades:
    """Every kept execution of a LobsterDay against its prior quote; w = ``grid`` $ / mid."""
    td = trade_distances(day)
    prior = td.message_index - 1
    mid = 0.5 * (day.ask_price[prior, 0] + day.bid_price[prior, 0])
    return OffsetTrades(td.time_ms, td.distance, td.half_spread, td.at_half_spread, grid / mid)


def session_trades(session: MarketSession) -> OffsetTrades:
    """Market trades of a simulated session against the latest book (exact: w = 0). A trade
    is at the touch when its price equals that book's best bid or ask."""
    latest = np.maximum.accumulate(np.where(session.kinds == BOOK, session.book_index, -1))
    trade = np.flatnonzero((session.kinds == TRADE) & (latest >= 0))
    row = latest[trade]
    bid, ask = session.bid_prices[row, 0], session.ask_prices[row, 0]
    price = session.prices[trade]
    h = (ask - bid) / (ask + bid)
    touch = (price == ask) | (price == bid)
    d = np.where(touch, h, session.distances[trade])
    return OffsetTrades(session.times_ms[trade], d, h, touch, np.zeros(trade.size))


def offset_records(
    trades: OffsetTrades,
    window_ms: int = _PRODUCTION.window_ms,
    prior: tuple[float, float] = (_PRODUCTION.prior_alpha, _PRODUCTION.prior_beta),
    count_censored: bool = False,
) -> np.ndarray:
    """Structured array (fields :data:`OFFSET_FIELDS`) of each in-model trade's cell and its
    predictive (module docstring). ``count_censored=True`` is a known-bad variant: trades at
    the mid counted as observed improvements x = h (shape a0 + n_in)."""
    keep = trades.distance <= trades.half_spread
    idx = np.flatnonzero(keep)
    t = trades.time_ms[keep].astype(np.int64)
    d, h = trades.distance[keep], trades.half_spread[keep]
    touch, w = trades.at_touch[keep], trades.half_width[keep]
    mid = ~touch & (d == 0.0)
    inside = ~touch
    x = np.where(inside, h - d, 0.0)

    def window(v: np.ndarray) -> np.ndarray:  # sum over j < i with t_j > t_i - window_ms
        c = np.concatenate([[0.0], np.cumsum(v, dtype=float)])
        first = np.searchsorted(t, t - window_ms, side="right")
        return c[np.arange(t.size)] - c[first]

    n_at, n_in, n_mid, sum_x = (window(v) for v in (touch, inside, mid, x))
    p = (PI_PRIOR[0] + n_at) / (PI_PRIOR[0] + PI_PRIOR[1] + n_at + n_in)
    a = prior[0] + n_in - (0.0 if count_censored else n_mid)
    b = prior[1] + sum_x
    below_touch = np.nextafter(h, 0.0)  # F(h-) = 1 - p: up to, not including, the atom
    lo = np.where(touch, h, np.maximum(d - w, 0.0))
    hi = np.where(touch, h, np.where(d + 3.0 * w > h, below_touch, d + w))
    dtype = [(f, np.int64 if f in ("index", "time_ms") else np.float64) for f in OFFSET_FIELDS]
    table = np.empty(t.size, dtype=dtype)
    for name, v in zip(OFFSET_FIELDS, (idx, t, lo, hi, d, h, p, a, b), strict=True):
        table[name] = v
    return table


def offset_scores_of(table: np.ndarray, rng: np.random.Generator) -> Scores:
    """:func:`~validation.prequential.predictive.offset_scores` of an :func:`offset_records`
    table."""
    return offset_scores(
        table["lo"],
        table["hi"],
        table["h"],
        table["p_touch"],
        table["a"],
        table["b"],
        table["d"],
        rng,
    )


def n_outside(trades: OffsetTrades) -> int:
    """Trades outside the touch (d > h), left out of the model."""
    return int(np.count_nonzero(trades.distance > trades.half_spread))
