"""Microprice: the mid adjusted by the book and flow imbalances, fitted online.

Features at a book update at time t (integer ms):

* book imbalance ``I_t = (Qb - Qa) / (Qb + Qa)`` from the level-1 sizes, in [-1, 1];
* flow imbalance ``F_t = EWMA(s v) / EWMA(v)`` over the trades seen so far (s = +1 buy,
  -1 sell, v > 0 the size; both EWMAs on the trade clock with half-life
  ``flow_half_life_trades``), in [-1, 1]; 0 before the first trade.

Target: the forward mid return ``y_t = (M(t + H) - m_t) / m_t`` (a fraction of the mid) over
``H = horizon_ms`` (default 1000 ms), where ``M(s)`` is the mid of the last book update with
timestamp <= s. Each book update enqueues ``(t, m_t, I_t, F_t)`` in a FIFO; the observation
*matures* at the first book update with timestamp > t + H, when ``M(t + H)`` is the mid in
force just before that update (trades do not move the mid). Observations mature in FIFO order,
so the work is O(1) amortised per event. Memory: the FIFO holds the book updates of the last
H ms, at most ``max_pending`` (default 10000); an update arriving while the FIFO is full is not
enqueued (counted in :attr:`MicropriceEstimator.dropped_count`), which depends only on the
past and so does not bias the fit toward any outcome.

Fit: exponentially weighted ridge least squares of ``y ~ b0 + b1 I + b2 F``. With matured
observations ``x_i = (1, I_i, F_i)`` (i = 1..n) and weights ``w_i = lam^(n - i)``,
``lam = 2^(-1 / half_life_obs)``::

    A = sum_i w_i x_i x_i'      (updated A <- lam A + x x')
    c = sum_i w_i x_i y_i       (updated c <- lam c + x y)
    (b0, b1, b2) = (A + ridge * Id)^-1 c

The ridge (default 1.0, i.e. one pseudo-observation's worth of pull toward 0 for each
coefficient, against an effective sample size ``sum w ~ half_life_obs / ln 2`` ~ 2900) keeps
the 3x3 system well posed while a feature is constant (no trades yet: F = 0 throughout).

Robustness. One bad quote (a book at 1000x the price, inside the accepted range) must not
ruin the fit for thousands of books, so each target is winsorised before it enters A and c::

    y <- clip(y, -z, z),  z = outlier_scale * max(mean_w |y|, h_t / m_t)

with ``mean_w |y|`` the exponentially weighted (same ``lam``) mean of the earlier clipped
targets and ``h_t / m_t`` the observation's own half spread as a fraction of its mid (the
floor that bounds the first targets, before any scale exists). At the default
``outlier_scale = 10`` a Gaussian target is clipped beyond about 12.5 sd (mean |y| = 0.8 sd),
so clean data are untouched, while a mid 1000x off contributes at most z. The output is
bounded as well: the fitted correction is clipped to the last book's half spread, so the
microprice always lies in [best bid, best ask]::

    microprice = mid + clip(mid (b1 I + b2 F), -h, h),  h = (ask - bid) / 2

in the price unit of the book. The intercept is left
out: b0 is the average drift of the mid over the recent past, a property of the time period
rather than of the book state; adding it would extrapolate the recent trend into the fair
price. Fitting it still matters, as it keeps the drift from biasing b1 and b2. Before
``min_observations`` matured observations the microprice is the mid.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from online import _checks
from online.errors import InvalidInputError
from online.ewma import tick_alpha
from online.serialization import (
    FLOAT,
    INT,
    NONNEGATIVE,
    OPTIONAL_INT,
    OPTIONAL_POSITIVE,
    SIGNED_UNIT_INTERVAL,
    Custom,
    FloatList,
    StateField,
    Stateful,
)

_LN2 = math.log(2.0)
# Upper triangle of the symmetric 3x3 A, stored as six floats in this order.
_A_INDEX = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


@dataclass(frozen=True)
class MicropriceConfig:
    """Production defaults of the microprice.

    Attributes:
        horizon_ms: forward-return horizon H in ms (integer > 0).
        half_life_obs: half-life of the regression weights, in matured observations (> 0).
        ridge: ridge added to the diagonal of the weighted normal matrix (>= 0; in units of
            observation weight).
        flow_half_life_trades: half-life of the flow-imbalance EWMAs, in trades (> 0).
        min_observations: matured observations needed before the fit is used (integer >= 1).
        max_pending: bound on the FIFO of observations awaiting their horizon (integer >= 1).
        outlier_scale: targets are clipped to this many times max(weighted mean |y|, the
            observation's relative half spread) (> 0; 10).
    """

    horizon_ms: int = 1000
    half_life_obs: float = 2000.0
    ridge: float = 1.0
    flow_half_life_trades: float = 20.0
    min_observations: int = 100
    max_pending: int = 10_000
    outlier_scale: float = 10.0

    def __post_init__(self) -> None:
        for name in ("horizon_ms", "min_observations", "max_pending"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(name, value, "must be an integer >= 1")
        _checks.positive("half_life_obs", self.half_life_obs)
        _checks.non_negative("ridge", self.ridge)
        _checks.positive("flow_half_life_trades", self.flow_half_life_trades)
        _checks.positive("outlier_scale", self.outlier_scale)


_Pending = tuple[int, float, float, float, float]


def _pending_to_json(pending: deque[_Pending]) -> list[list[float]]:
    return [list(p) for p in pending]


def _pending_from_json(data: list[Any]) -> deque[_Pending]:
    pending = deque((int(t), float(m), float(i), float(f), float(h)) for t, m, i, f, h in data)
    if any(b[0] < a[0] for a, b in itertools.pairwise(pending)):
        raise ValueError("pending observations out of time order")
    for t, mid, imbalance, flow, half_spread in pending:
        if not (mid > 0.0 and -1.0 <= imbalance <= 1.0 and -1.0 <= flow <= 1.0):
            raise ValueError(f"pending observation at {t} ms: mid, imbalance or flow out of range")
        if not half_spread > 0.0:
            raise ValueError(f"pending observation at {t} ms: half spread {half_spread!r} <= 0")
    return pending


class MicropriceEstimator(Stateful):
    """Online microprice: mid adjusted by the fitted imbalance effects (module docstring).

    >>> est = MicropriceEstimator()
    >>> est.on_book(99.99, 300.0, 100.01, 100.0, 0)
    >>> est.mid, est.book_imbalance, est.microprice()  # no fit yet: the microprice is the mid
    (100.0, 0.5, 100.0)
    """

    _state_config = MicropriceConfig
    _state_fields = (
        StateField("a", "_a", FloatList(same_length=True)),
        StateField("c", "_c", FloatList(same_length=True)),
        StateField("n", "_n", INT),
        StateField("pending", "_pending", Custom(_pending_to_json, _pending_from_json)),
        StateField("dropped", "_dropped", INT),
        StateField("abs_y", "_abs_y", NONNEGATIVE),
        StateField("weight", "_weight", NONNEGATIVE),
        StateField("mid", "_mid", OPTIONAL_POSITIVE),
        StateField("half_spread", "_half_spread", NONNEGATIVE),
        StateField("imbalance", "_imbalance", SIGNED_UNIT_INTERVAL),
        StateField("flow_num", "_flow_num", FLOAT),
        StateField("flow_den", "_flow_den", NONNEGATIVE),
        StateField("trades", "_trades", INT),
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
    )

    def __init__(self, config: MicropriceConfig = MicropriceConfig()) -> None:
        self.config = config
        self._lam = 2.0 ** (-1.0 / config.half_life_obs)
        self._flow_alpha = tick_alpha(config.flow_half_life_trades)
        self._a = [0.0] * 6
        self._c = [0.0] * 3
        self._n = 0
        self._beta: tuple[float, float, float] | None = None  # solve cache, cleared by _add
        self._abs_y = 0.0  # sum_i w_i |y_i| over the clipped targets
        self._weight = 0.0  # sum_i w_i
        self._pending: deque[tuple[int, float, float, float, float]] = deque()
        self._dropped = 0
        self._mid: float | None = None
        self._half_spread = 0.0
        self._imbalance = 0.0
        self._flow_num = 0.0
        self._flow_den = 0.0
        self._trades = 0
        self._last_ms: int | None = None

    def _check_state(self) -> None:
        """After a trade the flow EWMA of |volume| is > 0 and bounds |EWMA(signed volume)|;
        observations are pending only after a book update (which sets the mid)."""
        if self._pending and self._mid is None:
            raise ValueError(f"{len(self._pending)} pending observations but no mid")
        if self._trades > 0 and not self._flow_den > 0.0:
            raise ValueError(f"flow_den={self._flow_den!r} after {self._trades} trades: not > 0")
        if abs(self._flow_num) > self._flow_den * (1.0 + 1e-12) and self._trades > 0:
            raise ValueError(f"|flow_num|={abs(self._flow_num)!r} > flow_den={self._flow_den!r}")

    # -- events -------------------------------------------------------------------------

    def on_book(
        self,
        bid_price: float,
        bid_size: float,
        ask_price: float,
        ask_size: float,
        timestamp_ms: int,
    ) -> None:
        """Best bid/ask (price > 0, ask > bid) and level-1 sizes (>= 0, not both 0).

        Matures every pending observation whose horizon ends before ``timestamp_ms``, then
        enqueues this update's observation.

        Raises:
            InvalidInputError: bad price or size, crossed or locked quote, both sizes 0, or a
                timestamp going backwards; the state is unchanged.
        """
        bp = _checks.positive("bid_price", bid_price)
        ap = _checks.positive("ask_price", ask_price)
        if ap <= bp:
            raise InvalidInputError("ask_price", ask_price, f"crossed or locked (bid {bp})")
        qb = _checks.non_negative("bid_size", bid_size)
        qa = _checks.non_negative("ask_size", ask_size)
        if qb + qa <= 0.0:
            raise InvalidInputError("ask_size", ask_size, "bid and ask sizes are both 0")
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_ms)

        horizon = self.config.horizon_ms
        pending = self._pending
        while pending and pending[0][0] + horizon < t:
            _, m0, i0, f0, h0 = pending.popleft()
            self._add(i0, f0, (self._mid - m0) / m0, h0)
        self._mid = 0.5 * (bp + ap)
        self._half_spread = 0.5 * (ap - bp)
        self._imbalance = (qb - qa) / (qb + qa)
        if len(pending) < self.config.max_pending:
            relative_half_spread = self._half_spread / self._mid
            pending.append(
                (t, self._mid, self._imbalance, self.flow_imbalance, relative_half_spread)
            )
        else:
            self._dropped += 1
        self._last_ms = t

    def on_trade(self, size: float, is_buy: bool, timestamp_ms: int) -> None:
        """A market trade of ``size`` (> 0) initiated by a buyer (``is_buy``) or a seller.

        Raises:
            InvalidInputError: non-positive size, non-bool side or a timestamp going
                backwards; the state is unchanged.
        """
        v = _checks.positive("size", size)
        if not isinstance(is_buy, bool | np.bool_):
            raise InvalidInputError("is_buy", is_buy, "must be a bool")
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        a = self._flow_alpha
        signed = v if is_buy else -v
        if self._trades == 0:
            num, den = signed, v
        else:
            num = self._flow_num + a * (signed - self._flow_num)
            den = self._flow_den + a * (v - self._flow_den)
        if not (math.isfinite(num) and math.isfinite(den)):
            raise InvalidInputError("size", size, "update would overflow float64")
        self._flow_num, self._flow_den = num, den
        self._trades += 1
        self._last_ms = t

    def _add(self, imbalance: float, flow: float, y: float, relative_half_spread: float) -> None:
        lam, a, c = self._lam, self._a, self._c
        scale = self._abs_y / self._weight if self._weight > 0.0 else 0.0
        z = self.config.outlier_scale * max(scale, relative_half_spread)
        y = min(z, max(-z, y))
        self._abs_y = lam * self._abs_y + abs(y)
        self._weight = lam * self._weight + 1.0
        x = (1.0, imbalance, flow)
        for k, (i, j) in enumerate(_A_INDEX):
            a[k] = lam * a[k] + x[i] * x[j]
        for i in range(3):
            c[i] = lam * c[i] + x[i] * y
        self._n += 1
        self._beta = None

    # -- outputs ------------------------------------------------------------------------

    @property
    def flow_imbalance(self) -> float:
        """EWMA(signed volume) / EWMA(volume) over trades, in [-1, 1]; 0 before any trade."""
        if self._trades == 0:
            return 0.0
        return min(1.0, max(-1.0, self._flow_num / self._flow_den))

    @property
    def book_imbalance(self) -> float | None:
        """(Qb - Qa) / (Qb + Qa) of the last book update; None before any."""
        return None if self._mid is None else self._imbalance

    @property
    def mid(self) -> float | None:
        """(best bid + best ask) / 2 of the last book update; None before any."""
        return self._mid

    @property
    def coefficients(self) -> tuple[float, float, float] | None:
        """(b0, b1, b2) = (A + ridge Id)^-1 c (fractions of the mid per unit feature);
        None before ``min_observations`` matured observations or while the system is singular
        (possible only with ridge = 0). Solved once per new observation, then cached."""
        if self._n < self.config.min_observations:
            return None
        if self._beta is None:
            self._beta = self._solve()
        return self._beta

    def _solve(self) -> tuple[float, float, float] | None:
        m = np.empty((3, 3))
        for k, (i, j) in enumerate(_A_INDEX):
            m[i, j] = m[j, i] = self._a[k]
        m[np.diag_indices(3)] += self.config.ridge
        try:
            beta = np.linalg.solve(m, np.array(self._c))
        except np.linalg.LinAlgError:
            return None
        if not np.isfinite(beta).all():
            return None
        return (float(beta[0]), float(beta[1]), float(beta[2]))

    def microprice(self) -> float | None:
        """mid + clip(mid (b1 I + b2 F), -h, h) with h the half spread (price units of the
        book), so it lies in [bid, ask]; the mid while the fit is not valid; None before the
        first book update."""
        if self._mid is None:
            return None
        beta = self.coefficients
        if beta is None:
            return self._mid
        correction = self._mid * (beta[1] * self._imbalance + beta[2] * self.flow_imbalance)
        h = self._half_spread
        return self._mid + min(h, max(-h, correction))

    @property
    def observation_count(self) -> int:
        """Matured observations in the fit."""
        return self._n

    @property
    def pending_count(self) -> int:
        """Observations waiting for their horizon."""
        return len(self._pending)

    @property
    def dropped_count(self) -> int:
        """Book updates not enqueued because the FIFO was full."""
        return self._dropped

    @property
    def trade_count(self) -> int:
        return self._trades

    @property
    def last_timestamp_ms(self) -> int | None:
        return self._last_ms

    # -- state --------------------------------------------------------------------------
