"""Known-bad candidates of the ``"ewma"`` family:
``(IrregularSeries, half_life_ticks, time_half_life_ms) -> np.ndarray`` (value after each tick).

The correct candidate is the normalised weighted mean with weights
w_i = (1 - alpha)^(n - i) * 2^(-(t_n - t_i) / H_ms), alpha = 1 - 2^(-1/h).
"""

from __future__ import annotations

import numpy as np

from online.ewma import tick_alpha
from validation.scenarios import IrregularSeries

ASSUMED_GAP_MS = 1000.0
"""The V1 EWMA's assumption about the time between observations (1 s)."""


def one_second_ewma(
    series: IrregularSeries, half_life_ticks: float, time_half_life_ms: float
) -> np.ndarray:
    """Legacy V1: the time decay assumes every gap is 1 s, whatever the timestamps say.

    Normalised weighted mean with w_i = ((1 - alpha) * 2^(-1000 / H_ms))^(n - i): the correct
    weights with t_n - t_i replaced by 1000 (n - i) ms. Streaming form: W <- decay W + 1,
    value <- value + (x - value) / W.
    """
    decay = (1.0 - tick_alpha(half_life_ticks)) * 2.0 ** (-ASSUMED_GAP_MS / time_half_life_ms)
    out = np.empty(len(series.values))
    value, weight = 0.0, 0.0
    for i, x in enumerate(series.values):
        weight = decay * weight + 1.0
        value += (float(x) - value) / weight
        out[i] = value
    return out


def design_hybrid_ewma(
    series: IrregularSeries, half_life_ticks: float, time_half_life_ms: float
) -> np.ndarray:
    """Design V2 seed ``HybridEWMA`` as written: starting from value = 0, last_update_ms = 0,
    per observation x at t: value <- alpha x + (1 - alpha) * value * 2^(-(t - last) / H_ms).

    The time decay shrinks the *value* toward 0 instead of down-weighting old observations, so
    a constant input c settles at alpha c / (1 - (1 - alpha) 2^(-dt/H)) < c.
    """
    alpha = tick_alpha(half_life_ticks)
    out = np.empty(len(series.values))
    value, last = 0.0, 0
    for i, (x, t) in enumerate(zip(series.values, series.timestamps_ms, strict=True)):
        elapsed = max(int(t) - last, 0)
        decayed = value * 2.0 ** (-elapsed / time_half_life_ms)
        value = alpha * float(x) + (1.0 - alpha) * decayed
        last = int(t)
        out[i] = value
    return out
