"""Correct candidate of the ``"intensity"`` family: the production :class:`online.VolumeClock`.

Signature (see validation/families.py): ``(durations_ms, half_life_buckets) -> np.ndarray``.
``durations_ms`` are the n inter-bucket durations (integer ms, >= 0); element k of the result
is the arrival intensity in buckets per SECOND after duration k, i.e. after bucket k + 1 closes
(NaN while the clock reports none).
"""

from __future__ import annotations

import numpy as np

from online.errors import InvalidInputError
from online.volume_clock import VolumeClock, VolumeClockConfig

BUCKET_SHARES = 100.0
"""Size of every synthetic trade and the fixed bucket threshold (shares): one trade per bucket."""
PRICE = 10.0
"""Price of every synthetic trade (the intensity does not depend on it)."""


def bucket_end_times_ms(durations_ms: np.ndarray) -> np.ndarray:
    """Close times of n + 1 buckets: ``t_0 = 0``, ``t_k = t_{k-1} + durations_ms[k - 1]`` (ms).

    Raises:
        InvalidInputError: if a duration is not a finite, non-negative whole number of ms.
    """
    reason = "must be a 1-D array of whole, non-negative ms"
    try:
        d = np.asarray(durations_ms, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError("durations_ms", durations_ms, reason) from None
    if d.ndim != 1 or not np.all(np.isfinite(d)) or np.any(d < 0.0) or np.any(d != np.rint(d)):
        raise InvalidInputError("durations_ms", durations_ms, reason)
    return np.concatenate([[0], np.cumsum(d.astype(np.int64))])


def volume_clock_intensity(durations_ms: np.ndarray, half_life_buckets: float) -> np.ndarray:
    """Stream one 100-share trade per bucket through a production ``VolumeClock``.

    The threshold is pinned at 100 shares (initial = min = max = 100), so every trade closes a
    bucket at the times of :func:`bucket_end_times_ms`; the clock's intensity half-life is
    ``half_life_buckets``. Element k is ``VolumeClock.intensity_per_s`` after bucket k + 1
    closes: ``1000 / EWMA_k(dt)`` with the EWMA of the first k durations started from the
    first one (buckets per second).
    """
    times = bucket_end_times_ms(durations_ms)
    cfg = VolumeClockConfig(
        initial_threshold=BUCKET_SHARES,
        min_threshold=BUCKET_SHARES,
        max_threshold=BUCKET_SHARES,
        intensity_half_life_buckets=half_life_buckets,
    )
    clock = VolumeClock(cfg)
    out = np.full(len(times) - 1, np.nan)
    for k, t in enumerate(times.tolist()):
        clock.on_trade(PRICE, BUCKET_SHARES, t)
        value = clock.intensity_per_s
        if k and value is not None:
            out[k - 1] = value
    return out
