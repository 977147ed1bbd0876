"""Known-bad candidates of the ``"ewma"`` family:
``(IrregularSeries, half_life_ticks, time_half_life_ms) -> np.ndarray`` (value after each tick).

The correct candidate is the normalised weighted mean with weights
w_i = (1 - alpha)^(n - i) * 2^(-(t_n - t_i) / H_ms), alpha = 1 - 2^(-1/h).

:func:`one_second_ewma` runs the series through ``online.legacy.OneSecondEWMAVariance``, the V1
class ``EstimatorVersion.legacy_v1()`` runs. :func:`design_hybrid_ewma` is the design
document's ``HybridEWMA`` as written, which never existed in ``online/`` (the production
``online.ewma.HybridEWMA`` is the normalised one), so it is implemented here.
"""

from __future__ import annotations

import numpy as np

from online.ewma import tick_alpha
from online.legacy import ASSUMED_GAP_MS, OneSecondEWMAConfig, OneSecondEWMAVariance
from validation.scenarios import IrregularSeries


def one_second_time_half_life_ms(half_life_ticks: float, time_half_life_ms: float) -> float:
    """The time half-life H_1s (ms) whose decay over one assumed 1 s gap equals the tick and
    time decays together: 2^(-1000/H_1s) = (1 - alpha) 2^(-1000/H_ms), 1 - alpha = 2^(-1/h),
    i.e. H_1s = 1000 / (1000/H_ms + 1/h).

    >>> one_second_time_half_life_ms(1.0, 1000.0)  # two 1 s half-lives: 500 ms
    500.0
    """
    return ASSUMED_GAP_MS / (ASSUMED_GAP_MS / time_half_life_ms + 1.0 / half_life_ticks)


def one_second_ewma(
    series: IrregularSeries, half_life_ticks: float, time_half_life_ms: float
) -> np.ndarray:
    """Legacy V1: the time decay assumes every gap is 1 s, whatever the timestamps say.

    Normalised weighted mean with w_i = ((1 - alpha) * 2^(-1000 / H_ms))^(n - i): the correct
    weights with t_n - t_i replaced by 1000 (n - i) ms. The series is fed, with its real
    timestamps, to ``online.legacy.OneSecondEWMAVariance`` with the time half-life
    :func:`one_second_time_half_life_ms`; the value after each tick is that estimator's
    weighted mean (West: W <- decay W + 1, mean <- mean + (x - mean) / W), its ``mean``.

    >>> s = IrregularSeries(np.array([1.0, 3.0]), np.array([0, 5]))  # 5 ms apart
    >>> one_second_ewma(s, 1.0, 1000.0).tolist()  # decay 1/4 as if 1 s apart: (1/4 + 3) / (5/4)
    [1.0, 2.6]
    """
    est = OneSecondEWMAVariance(
        OneSecondEWMAConfig(one_second_time_half_life_ms(half_life_ticks, time_half_life_ms))
    )
    out = np.empty(len(series.values))
    for i, (x, t) in enumerate(zip(series.values, series.timestamps_ms, strict=True)):
        est.update(float(x), int(t))
        out[i] = est.mean
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
