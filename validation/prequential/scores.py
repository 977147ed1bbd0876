"""Dependence-aware comparison of two forecasters' scores: Diebold-Mariano with a HAC variance.

For paired scores S1_t, S2_t (lower is better) of the same observations, d_t = S2_t - S1_t.
The mean difference is the intercept of an OLS of d on a constant, with its standard error
from the Newey-West (Bartlett-kernel) HAC estimator (``statsmodels``) at the default lag
floor(4 (n / 100)^(2/9)) (Newey and West 1994), so serially dependent scores do not make
the interval too narrow. ``z = mean / se`` is asymptotically N(0, 1) under equal expected
scores (Diebold and Mariano 1995); positive means forecaster 1 scores better.

Example::

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=500)
    >>> r = diebold_mariano(a, a + 0.5 + 0.1 * rng.normal(size=500))
    >>> r.ci_low > 0
    True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import statsmodels.api as sm
from scipy import stats


@dataclass(frozen=True)
class ScoreDifference:
    """Mean of S2 - S1 with its HAC standard error, z, two-sided p and 95% interval."""

    n: int
    mean_1: float
    mean_2: float
    mean_difference: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    lags: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def newey_west_lags(n: int) -> int:
    """floor(4 (n / 100)^(2/9))."""
    return math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))


def diebold_mariano(
    scores_1: np.ndarray, scores_2: np.ndarray, lags: int | None = None, level: float = 0.95
) -> ScoreDifference:
    """Diebold-Mariano comparison of paired scores (module docstring)."""
    s1, s2 = np.asarray(scores_1, dtype=float), np.asarray(scores_2, dtype=float)
    if s1.shape != s2.shape or s1.ndim != 1 or s1.size < 10:
        raise ValueError("scores must be paired 1-D arrays of at least 10 values")
    if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
        raise ValueError("scores must be finite")
    d = s2 - s1
    n = d.size
    lag = newey_west_lags(n) if lags is None else int(lags)
    fit = sm.OLS(d, np.ones(n)).fit(cov_type="HAC", cov_kwds={"maxlags": lag})
    mean, se = float(fit.params[0]), float(fit.bse[0])
    z = mean / se if se > 0.0 else math.copysign(math.inf, mean) if mean else 0.0
    q = stats.norm.ppf(0.5 + level / 2.0)
    return ScoreDifference(
        n,
        float(s1.mean()),
        float(s2.mean()),
        mean,
        se,
        float(z),
        float(2.0 * stats.norm.sf(abs(z))),
        float(mean - q * se),
        float(mean + q * se),
        lag,
    )
