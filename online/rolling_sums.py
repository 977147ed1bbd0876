"""Time-windowed running count, sum and sum of squared deviations that do not drift.

The window holds ``(timestamp_ms, value)`` pairs in arrival order. ``evict(now_ms)`` drops every
pair with ``timestamp_ms <= now_ms - window_ms``, so after it the window is the half-open time
interval ``(now_ms - window_ms, now_ms]``.

Running statistics, each O(1) per insertion or eviction:

* ``total`` = sum x, kept as a Neumaier compensated pair ``hi + lo`` (add and subtract are
  both compensated). After k operations its error is O(eps)|sum| + O(k eps^2) sum|x|, so it
  does not drift even when large values enter and leave.
* ``m2`` = sum (x - mean)^2, by Welford's add/remove rule with the means taken from the
  compensated total::

      add x:     m2 += (x - mean_without_x) * (x - mean_with_x)
      remove x:  m2 -= (x - mean_without_x) * (x - mean_with_x)

  No E[x^2] - E[x]^2 on raw sums is ever formed.
* Exact recomputation from the window (``math.fsum`` for the total, two-pass for ``m2``):
  after every ``max(count, RECOMPUTE_MIN_EVICTIONS)`` evictions (cost O(count), so amortised
  O(1)), and whenever ``m2`` falls below ``CANCELLATION_RATIO`` times its largest value since
  the last recomputation (removals then cancel most of it and the rounding left over is no
  longer small relative to what remains). A window of 0 or 1 values is always exact.

Values are plain floats in whatever unit the caller uses, with |x| <= MAX_VALUE = 1e100 (the
callers validate with :func:`check_non_negative` / :func:`check_positive`): squared deviations
stay below 4e200, so ``total`` and ``m2`` stay finite for any realistic count. Timestamps are
integer milliseconds; the caller guarantees they are non-decreasing.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from typing import Any

from online import _checks
from online.errors import InvalidInputError, StateDictError

RECOMPUTE_MIN_EVICTIONS = 1024
MAX_VALUE = 1e100
"""Largest value a window accepts (any unit): its sums and second moments stay finite."""
CANCELLATION_RATIO = 1e-4


def check_window_ms(value: int) -> int:
    """Return ``value`` if it is a positive integer number of milliseconds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError("window_ms", value, "must be an integer number of ms")
    if value <= 0:
        raise InvalidInputError("window_ms", value, "must be > 0")
    return value


def check_non_negative(field: str, value: float) -> float:
    """A window value: ``_checks.non_negative`` and <= MAX_VALUE (fast path for a float)."""
    if type(value) is float and 0.0 <= value <= MAX_VALUE:
        return value
    return _bounded(field, value, _checks.non_negative(field, value))


def check_positive(field: str, value: float) -> float:
    """A window value: ``_checks.positive`` and <= MAX_VALUE (fast path for a float)."""
    if type(value) is float and 0.0 < value <= MAX_VALUE:
        return value
    return _bounded(field, value, _checks.positive(field, value))


def _bounded(field: str, value: float, x: float) -> float:
    if x > MAX_VALUE:
        raise InvalidInputError(field, value, f"must be <= {MAX_VALUE:g} (rolling-window bound)")
    return x


check_timestamp = _checks.timestamp
"""The shared timestamp check (it has the fast path for a plain int in range)."""


class RollingWindow:
    """Values in the time window ``(now - window_ms, now]`` with drift-free running moments."""

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self._times: deque[int] = deque()
        self._values: deque[float] = deque()
        self._hi = 0.0
        self._lo = 0.0
        self._m2 = 0.0
        self._m2_peak = 0.0
        self._evictions = 0

    # ----------------------------------------------------------------- queries
    @property
    def count(self) -> int:
        """Number of values in the window."""
        return len(self._values)

    @property
    def total(self) -> float:
        """Sum of the values in the window (compensated)."""
        return self._hi + self._lo

    @property
    def m2(self) -> float:
        """Sum of squared deviations from the window mean, sum (x - mean)^2 (>= 0)."""
        return self._m2

    def values(self) -> list[float]:
        """The values in the window, oldest first."""
        return list(self._values)

    def timestamps(self) -> list[int]:
        """The timestamps (ms) in the window, oldest first."""
        return list(self._times)

    # ---------------------------------------------------------------- mutation
    def push(self, timestamp_ms: int, x: float) -> None:
        """Append ``x`` observed at ``timestamp_ms`` (not before the last timestamp)."""
        n = len(self._values)
        self._times.append(timestamp_ms)
        self._values.append(x)
        if n == 0:
            self._hi, self._lo, self._m2, self._m2_peak = x, 0.0, 0.0, 0.0
            return
        mean_without = (self._hi + self._lo) / n
        self._add(x)
        mean_with = (self._hi + self._lo) / (n + 1)
        self._m2 += (x - mean_without) * (x - mean_with)
        if self._m2 > self._m2_peak:
            self._m2_peak = self._m2

    def evict(self, now_ms: int) -> int:
        """Drop every value with ``timestamp_ms <= now_ms - window_ms``; return how many."""
        cutoff = now_ms - self.window_ms
        times, values = self._times, self._values
        dropped = 0
        while times and times[0] <= cutoff:
            times.popleft()
            x = values.popleft()
            dropped += 1
            self._evictions += 1
            n = len(values)
            if n <= 1:
                self._reset_small()
                continue
            mean_with = (self._hi + self._lo) / (n + 1)
            self._add(-x)
            mean_without = (self._hi + self._lo) / n
            self._m2 -= (x - mean_without) * (x - mean_with)
        if dropped and (
            self._evictions >= max(len(values), RECOMPUTE_MIN_EVICTIONS)
            or self._m2 < CANCELLATION_RATIO * self._m2_peak
        ):
            self.recompute()
        return dropped

    def recompute(self) -> None:
        """Set the running statistics exactly from the window's values."""
        n = len(self._values)
        if n <= 1:
            self._reset_small()
            return
        self._hi = math.fsum(self._values)
        self._lo = 0.0
        mean = self._hi / n
        self._m2 = math.fsum((x - mean) * (x - mean) for x in self._values)
        self._m2_peak = self._m2
        self._evictions = 0

    def _reset_small(self) -> None:
        self._hi = self._values[0] if self._values else 0.0
        self._lo = 0.0
        self._m2 = 0.0
        self._m2_peak = 0.0
        self._evictions = 0

    def _add(self, x: float) -> None:
        """Neumaier compensated ``hi + lo += x``."""
        s = self._hi
        t = s + x
        if abs(s) >= abs(x):
            self._lo += (s - t) + x
        else:
            self._lo += (x - t) + s
        self._hi = t

    # ------------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        """JSON-serialisable exact state."""
        return {
            "window_ms": self.window_ms,
            "timestamps": list(self._times),
            "values": list(self._values),
            "hi": self._hi,
            "lo": self._lo,
            "m2": self._m2,
            "m2_peak": self._m2_peak,
            "evictions": self._evictions,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RollingWindow:
        """Inverse of :meth:`state`."""
        try:
            window = cls(int(state["window_ms"]))
            times = [int(t) for t in state["timestamps"]]
            values = [float(v) for v in state["values"]]
            window._hi = float(state["hi"])
            window._lo = float(state["lo"])
            window._m2 = float(state["m2"])
            window._m2_peak = float(state["m2_peak"])
            window._evictions = int(state["evictions"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StateDictError(f"malformed rolling window state: {exc}") from exc
        if len(times) != len(values):
            raise StateDictError("rolling window state has unequal timestamps and values")
        if any(b < a for a, b in itertools.pairwise(times)):
            raise StateDictError("rolling window state has timestamps out of order")
        window._times.extend(times)
        window._values.extend(values)
        window._check_consistent()
        return window

    def _check_consistent(self) -> None:
        """Refuse a restored state no sequence of push/evict could have produced: values out
        of [-MAX_VALUE, MAX_VALUE], a total off the exact sum by more than 1e-9 sum|x|, or m2
        outside [0, m2_peak] or off the two-pass value by more than 1e-6 m2_peak (the running
        statistics are far more accurate than these bounds)."""
        values = self._values
        if any(not abs(v) <= MAX_VALUE for v in values):
            raise StateDictError(f"rolling window state has a value beyond {MAX_VALUE:g}")
        exact = math.fsum(values)
        if not abs(self._hi + self._lo - exact) <= 1e-9 * math.fsum(abs(v) for v in values):
            raise StateDictError("rolling window state: total is not the sum of its values")
        mean = exact / len(values) if values else 0.0
        m2_exact = math.fsum((v - mean) * (v - mean) for v in values)
        if not (
            0.0 <= self._m2 <= self._m2_peak and abs(self._m2 - m2_exact) <= 1e-6 * self._m2_peak
        ):
            raise StateDictError("rolling window state: m2 is not the values' squared deviations")
