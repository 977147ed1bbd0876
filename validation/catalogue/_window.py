"""The production preprocessing of fill distances, for catalogue bugs with no ``online/`` class.

A bug re-implemented here (``kappa_bugs.robust_t_kappa``) applies the same distance floor and
rolling window as the production ``ConjugateBayesianKappa`` (defaults taken from its config), so
that the flaw under test is the only difference from the correct candidate. Bugs that production
code carries are run through that code instead.

>>> window_mask(np.array([0, 100_000, 300_000])).tolist()  # (t_last - 5 min, t_last]
[False, True, True]
>>> floored(np.array([0.0, 2e-3])).tolist()
[1e-05, 0.002]
"""

from __future__ import annotations

import numpy as np

from online.conjugate_kappa import ConjugateKappaConfig

_DEFAULTS = ConjugateKappaConfig()
MIN_DISTANCE: float = _DEFAULTS.min_distance
WINDOW_MS: int = _DEFAULTS.window_ms


def window_mask(timestamps_ms: np.ndarray, window_ms: int = WINDOW_MS) -> np.ndarray:
    """Observations inside the window ending at the last timestamp: t_i > t_last - window_ms."""
    t = np.asarray(timestamps_ms)
    if t.size == 0:
        return np.zeros(0, dtype=bool)
    return t > t[-1] - window_ms


def floored(distances: np.ndarray, min_distance: float = MIN_DISTANCE) -> np.ndarray:
    """max(d_i, min_distance), distances as fractions of the mid."""
    return np.maximum(np.asarray(distances, dtype=float), min_distance)
