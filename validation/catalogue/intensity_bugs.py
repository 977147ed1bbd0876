"""Known-bad candidates of the ``"intensity"`` family:
``(durations_ms, half_life_buckets) -> np.ndarray`` (buckets per second after each duration).

The correct candidate is ``1000 / EWMA(dt)`` (the production ``VolumeClock``).

:func:`ewma_of_reciprocal_intensity` is a production bug whose code is gone from ``online/``: it
feeds the reciprocal durations to the production ``online.ewma.TickEWMA``, so only the
reciprocal is written here.
"""

from __future__ import annotations

import numpy as np

from online.ewma import TickEWMA
from validation.candidates.intensity import bucket_end_times_ms

MIN_DT_MS = 1.0
"""Floor of a duration before taking its reciprocal (two buckets in the same ms)."""


def ewma_of_reciprocal_intensity(durations_ms: np.ndarray, half_life_buckets: float) -> np.ndarray:
    """Production flaw: intensity = ``EWMA(1000 / max(dt, 1 ms))`` per second.

    The same tick EWMA as the correct candidate (half-life ``half_life_buckets``, started from
    the first observation), applied to the reciprocal durations instead of the durations. For
    exponential dt, ``E[1/dt]`` is infinite (finite here only through the 1 ms floor and the
    whole-ms rounding), so the estimate is biased upward by Jensen's inequality.
    """
    dt = np.diff(bucket_end_times_ms(durations_ms)).astype(float)
    ewma = TickEWMA(half_life_buckets)
    out = np.empty(len(dt))
    for k, x in enumerate(dt.tolist()):
        ewma.update(1000.0 / max(x, MIN_DT_MS))
        out[k] = ewma.value
    return out
