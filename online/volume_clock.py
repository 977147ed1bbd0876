"""Volume clock: trades grouped into buckets of (adaptive) equal traded volume.

Trades arrive one at a time as ``(price, size, timestamp_ms)``: price > 0 in any currency unit
(dollars for LOBSTER), size > 0 in shares, timestamps integer milliseconds, non-decreasing.

Buckets. A bucket collects trades until its volume reaches the current threshold ``T``; the
trade that makes ``volume >= T`` closes it and belongs to it *entirely* (a large trade is not
split, so a bucket may hold more than ``T`` shares). The next trade opens a new bucket. Each
closed bucket reports::

    vwap       = sum_i p_i s_i / sum_i s_i          (over the bucket's trades)
    log_return = ln(vwap_k / vwap_{k-1})            (None for the first bucket)
    duration_ms = end_ms_k - end_ms_{k-1}           (first bucket: end_ms - start_ms)

The VWAP is kept as a running weighted mean stepped up from the lower of the two prices,
``vwap <- lo + w (hi - lo)`` with ``(lo, hi, w) = (vwap, p, s / V)`` if ``p >= vwap`` else
``(p, vwap, (V - s) / V)`` and ``V`` the bucket volume after the trade: every term is >= 0, so
the result lies in [lo, hi] up to rounding and never cancels to 0 (the one-sided form
``vwap + (s / V)(p - vwap)`` gives 0 after 1e12 x 1e-9 then 1e-8 x 1e15), and a bucket of
equal prices has exactly that price. Log returns are ``ln vwap_k - ln vwap_{k-1}``, finite for
any two positive finite VWAPs (their ratio may leave the float64 range).

Threshold. It is fixed while a bucket fills and re-set when a bucket closes at time ``t``::

    T <- clamp(threshold_fraction * sum of sizes traded in (t - threshold_window_ms, t],
               min_threshold, max_threshold)

(1% of the last 5 minutes of volume by default). The first bucket uses ``initial_threshold``
(small, so the clock starts ticking before a full window of volume exists). The trailing
volume is an exact rolling-window sum (:class:`online.rolling_sums.RollingWindow`).

Arrival intensity. Buckets per second ``= 1000 / EWMA(duration_ms)`` over the inter-bucket
durations (from the second bucket on; a :class:`online.ewma.TickEWMA` started from the first
duration, half-life in buckets). For exponential inter-bucket times with rate ``lambda`` the
EWMA of dt is unbiased for ``1/lambda`` and its reciprocal has only a small Jensen bias of about
``1/n_eff`` (``n_eff = (2 - alpha)/alpha``, about 144 buckets at the default half-life 50).
The legacy estimator ``EWMA(1/dt)`` is biased upward without bound: ``E[1/dt]`` is infinite for
exponential dt. :attr:`VolumeClock.intensity_per_s` is ``None`` before two buckets have closed
and while the EWMA of dt is 0 (every bucket so far closed within the same millisecond).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from online import _checks
from online.errors import InvalidInputError
from online.ewma import TickEWMA
from online.rolling_sums import RollingWindow, check_positive, check_window_ms
from online.serialization import (
    INT,
    NONNEGATIVE,
    OPTIONAL_INT,
    POSITIVE,
    WINDOW,
    Component,
    Custom,
    StateField,
    Stateful,
)


@dataclass(frozen=True)
class VolumeClockConfig:
    """Configuration (production defaults; sizes in shares).

    Attributes:
        initial_threshold: threshold of the first bucket, shares (100, one round lot: small, so
            buckets form from the first trades; it must lie in [min_threshold, max_threshold]).
        threshold_fraction: fraction of the trailing window's volume used as the threshold
            (0.01), in (0, 1].
        threshold_window_ms: trailing volume window, ms (300 000 = 5 minutes).
        min_threshold: lower clamp of the threshold, shares (100).
        max_threshold: upper clamp of the threshold, shares (1 000 000).
        intensity_half_life_buckets: half-life of the EWMA of inter-bucket durations, in buckets
            (50, the tick half-life used for the other tick EWMAs).
    """

    initial_threshold: float = 100.0
    threshold_fraction: float = 0.01
    threshold_window_ms: int = 300_000
    min_threshold: float = 100.0
    max_threshold: float = 1_000_000.0
    intensity_half_life_buckets: float = 50.0

    def __post_init__(self) -> None:
        lo = _checks.positive("min_threshold", self.min_threshold)
        hi = _checks.positive("max_threshold", self.max_threshold)
        if hi < lo:
            raise InvalidInputError("max_threshold", self.max_threshold, "must be >= min_threshold")
        t0 = _checks.positive("initial_threshold", self.initial_threshold)
        if not lo <= t0 <= hi:
            raise InvalidInputError(
                "initial_threshold", self.initial_threshold, f"must lie in [{lo}, {hi}]"
            )
        f = _checks.positive("threshold_fraction", self.threshold_fraction)
        if f > 1.0:
            raise InvalidInputError("threshold_fraction", self.threshold_fraction, "must be <= 1")
        try:
            check_window_ms(self.threshold_window_ms)
        except InvalidInputError as exc:
            raise InvalidInputError("threshold_window_ms", exc.value, exc.reason) from None
        _checks.positive("intensity_half_life_buckets", self.intensity_half_life_buckets)


@dataclass(frozen=True)
class VolumeBucket:
    """One closed bucket.

    Attributes:
        start_ms: timestamp of the bucket's first trade, ms.
        end_ms: timestamp of the trade that closed it, ms.
        volume: total size of its trades, shares (>= the threshold it closed at).
        vwap: volume-weighted average price, price units.
        n_trades: number of trades in it.
        log_return: ``ln(vwap / previous bucket's vwap)``; ``None`` for the first bucket.
        duration_ms: ``end_ms`` minus the previous bucket's ``end_ms``; for the first bucket
            ``end_ms - start_ms``. 0 when two buckets close in the same millisecond.
    """

    start_ms: int
    end_ms: int
    volume: float
    vwap: float
    n_trades: int
    log_return: float | None
    duration_ms: int


def _bucket_to_json(bucket: VolumeBucket | None) -> dict[str, Any] | None:
    return None if bucket is None else asdict(bucket)


def _bucket_from_json(data: dict[str, Any] | None) -> VolumeBucket | None:
    if data is None:
        return None
    bucket = VolumeBucket(**data)
    if not (bucket.volume > 0.0 and bucket.vwap > 0.0 and bucket.n_trades >= 1):
        raise ValueError(f"last bucket with volume, vwap or n_trades <= 0: {data}")
    if not bucket.start_ms <= bucket.end_ms or bucket.duration_ms < 0:
        raise ValueError(f"last bucket ends before it starts: {data}")
    return bucket


class VolumeClock(Stateful):
    """Adaptive-threshold volume clock (see module docstring).

    >>> clock = VolumeClock(VolumeClockConfig(initial_threshold=100.0))
    >>> clock.on_trade(10.0, 60.0, 0) is None  # 60 of 100 shares: the bucket stays open
    True
    >>> bucket = clock.on_trade(10.2, 60.0, 500)
    >>> bucket.volume, bucket.vwap, bucket.n_trades
    (120.0, 10.1, 2)
    """

    __slots__ = (
        "_b_start",
        "_b_trades",
        "_b_volume",
        "_b_vwap",
        "_config",
        "_count",
        "_dt",
        "_last",
        "_last_ms",
        "_threshold",
        "_window",
    )
    _state_config = VolumeClockConfig
    _state_fields = (
        StateField("window", "_window", WINDOW),
        StateField("dt_ewma", "_dt", Component()),
        StateField("threshold", "_threshold", POSITIVE),
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
        StateField("last_bucket", "_last", Custom(_bucket_to_json, _bucket_from_json)),
        StateField("bucket_count", "_count", INT),
        StateField("bucket_start_ms", "_b_start", OPTIONAL_INT),
        StateField("bucket_volume", "_b_volume", NONNEGATIVE),
        StateField("bucket_vwap", "_b_vwap", NONNEGATIVE),
        StateField("bucket_trades", "_b_trades", INT),
    )

    def __init__(self, config: VolumeClockConfig | None = None) -> None:
        self._config = VolumeClockConfig() if config is None else config
        self._window = RollingWindow(self._config.threshold_window_ms)
        self._dt = TickEWMA(self._config.intensity_half_life_buckets)
        self._threshold = float(self._config.initial_threshold)
        self._last_ms: int | None = None
        self._last: VolumeBucket | None = None
        self._count = 0
        self._reset_bucket()

    def _reset_bucket(self) -> None:
        self._b_start: int | None = None
        self._b_volume = 0.0
        self._b_vwap = 0.0
        self._b_trades = 0

    @property
    def config(self) -> VolumeClockConfig:
        return self._config

    @property
    def threshold(self) -> float:
        """Volume threshold of the bucket being filled, shares."""
        return self._threshold

    @property
    def intensity_per_s(self) -> float | None:
        """Buckets per second, ``1000 / EWMA(duration_ms)``; ``None`` before two buckets."""
        if self._count < 2 or not self._dt.value:
            return None
        return 1000.0 / self._dt.value

    @property
    def bucket_count(self) -> int:
        """Number of closed buckets."""
        return self._count

    @property
    def last_bucket(self) -> VolumeBucket | None:
        """The most recently closed bucket, ``None`` before the first."""
        return self._last

    @property
    def pending_volume(self) -> float:
        """Volume of the bucket being filled, shares."""
        return self._b_volume

    def trailing_volume(self) -> float:
        """Volume traded in ``(t - threshold_window_ms, t]``, t the last trade's time, shares."""
        return self._window.total

    def on_trade(self, price: float, size: float, timestamp_ms: int) -> VolumeBucket | None:
        """Add one trade; return the bucket it closes, or ``None``.

        Args:
            price: trade price > 0 (finite, any currency unit).
            size: trade size > 0 (finite), shares.
            timestamp_ms: integer ms, not before the previous trade.
        """
        p = _checks.positive("price", price)
        s = check_positive("size", size)
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        volume = self._b_volume + s
        if not math.isfinite(volume):
            raise InvalidInputError("size", size, "bucket volume would overflow float64")
        up = p >= self._b_vwap
        lo, hi, w = (self._b_vwap, p, s) if up else (p, self._b_vwap, self._b_volume)
        vwap = p if self._b_trades == 0 else lo + (w / volume) * (hi - lo)
        if not 0.0 < vwap < math.inf:
            raise InvalidInputError("price", price, "bucket VWAP would leave the float64 range")
        # all checks passed: mutate
        self._last_ms = t
        self._window.evict(t)
        self._window.push(t, s)
        if self._b_start is None:
            self._b_start = t
        self._b_volume, self._b_vwap = volume, vwap
        self._b_trades += 1
        if volume < self._threshold:
            return None
        return self._close(t)

    def _close(self, t: int) -> VolumeBucket:
        prev = self._last
        log_return = None if prev is None else math.log(self._b_vwap) - math.log(prev.vwap)
        start = self._b_start if self._b_start is not None else t
        duration = t - (start if prev is None else prev.end_ms)
        bucket = VolumeBucket(
            start, t, self._b_volume, self._b_vwap, self._b_trades, log_return, duration
        )
        if prev is not None:
            self._dt.update(float(duration))
        self._last = bucket
        self._count += 1
        cfg = self._config
        target = cfg.threshold_fraction * self._window.total
        self._threshold = min(cfg.max_threshold, max(cfg.min_threshold, target))
        self._reset_bucket()
        return bucket
