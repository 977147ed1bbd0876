"""Correct candidate of the ``"ewma"`` family: the production :class:`online.ewma.HybridEWMA`.

Signature (see validation/families.py): ``(IrregularSeries, half_life_ticks, time_half_life_ms)
-> np.ndarray``, the estimate after each observation (units of the series values).
"""

from __future__ import annotations

import numpy as np

from online.ewma import HybridEWMA
from validation.scenarios import IrregularSeries


def hybrid_ewma(
    series: IrregularSeries, half_life_ticks: float, time_half_life_ms: float
) -> np.ndarray:
    """Stream ``series`` through ``HybridEWMA(half_life_ticks, time_half_life_ms)``.

    Element k of the result is the value after observation k: the normalised weighted mean
    ``sum_i w_i x_i / sum_i w_i`` over i <= k with ``w_i = (1 - alpha)**(k - i) *
    2**(-(t_k - t_i) / time_half_life_ms)``, ``alpha = 1 - 2**(-1/half_life_ticks)``.
    Timestamps are integer milliseconds.
    """
    ewma = HybridEWMA(half_life_ticks, time_half_life_ms)
    out = np.empty(len(series.values))
    for k, (x, t) in enumerate(zip(series.values, series.timestamps_ms, strict=True)):
        ewma.update(float(x), int(t))
        out[k] = ewma.value
    return out
