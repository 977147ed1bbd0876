"""Calibration of probability forecasts of binary events: CORP reliability and a resampling test.

A forecast p_i in [0, 1] of the event y_i in {0, 1} is *calibrated* when P(y = 1 | p) = p.
CORP (Dimitriadis, Gneiting and Jordan 2021, "Stable reliability diagrams for probabilistic
classifiers", PNAS 118(8) e2016191118) estimates the calibration curve x -> P(y = 1 | p = x)
by isotonic regression of y on p, computed with the pool-adjacent-violators algorithm (PAV,
``scipy.optimize.isotonic_regression``; tied forecasts are pooled first, one point per
distinct value weighted by its count). With p_hat_i the recalibrated forecast (the PAV fit at
p_i) and ybar the event rate, the mean Brier score decomposes EXACTLY as

    BS(p) = MCB - DSC + UNC,      BS(q) = mean_i (q_i - y_i)^2,
    MCB = BS(p) - BS(p_hat)   (miscalibration, >= 0),
    DSC = BS(ybar) - BS(p_hat)   (discrimination, >= 0),
    UNC = BS(ybar) = ybar (1 - ybar)   (uncertainty).

**Consistency resampling** (Broecker and Smith 2007; DGJ 2021, section 2.3): if p is
calibrated, y*_i ~ Bernoulli(p_i) independently has the same law as y given p. The test draws
B such label vectors, recomputes MCB*_b on (p, y*_b) and reports the Monte Carlo p-value
(1 + #{b : MCB*_b >= MCB}) / (B + 1). Under calibration it is exactly valid (P(p-value <= a)
<= a for a a multiple of 1 / (B + 1)), so with ``alpha (B + 1)`` an integer the test rejects a
calibrated forecast with probability at most alpha (measured in
``tests/test_calibration_binary.py`` on the Bayes classifier of a known mixture). A forecast of
exactly 0 or 1 has no resampling variability; one that is wrong makes MCB > 0 = every MCB*, so
a hard classifier that misses is rejected at the smallest attainable p-value.

Example::

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=2000)
    >>> y = rng.uniform(size=2000) < p
    >>> d = corp_decomposition(p, y)
    >>> abs(d.brier - (d.mcb - d.dsc + d.unc)) < 1e-12
    True
    >>> miscalibration_test(p, y, rng, alpha=0.01, n_resamples=99).rejected
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import isotonic_regression

from online.errors import InvalidInputError

DEFAULT_RESAMPLES = 999
"""B of the consistency-resampling test: (B + 1) alpha is an integer for alpha = 0.001."""

MCB_ROUNDING = 1e-15
"""Resampled MCB within this of the observed one counts as a tie (MCB of 0 forecasts that are
exactly right is 0 up to rounding)."""


CURVE_POINTS = 400
"""Vertices of the reliability curve kept for reports."""
BAND_LEVEL = 0.90
"""Pointwise level of the consistency band drawn around the diagonal (CORP's default)."""


def curve_index(size: int) -> np.ndarray:
    """Indices of at most ``CURVE_POINTS`` evenly spaced distinct forecasts out of ``size``."""
    return np.unique(np.linspace(0, size - 1, CURVE_POINTS).round().astype(np.int64))


@dataclass(frozen=True)
class CorpDecomposition:
    """CORP reliability of forecasts p for events y (module docstring).

    Attributes:
        forecast: the distinct forecast values, ascending.
        recalibrated: the PAV estimate of P(y = 1 | p = forecast[j]), non-decreasing.
        count: how many forecasts take each distinct value.
        brier, mcb, dsc, unc: mean Brier score and its CORP components; brier = mcb - dsc + unc.
    """

    forecast: np.ndarray
    recalibrated: np.ndarray
    count: np.ndarray
    brier: float
    mcb: float
    dsc: float
    unc: float

    def details(self) -> dict[str, Any]:
        """JSON-ready numbers and the reliability curve (at most ``CURVE_POINTS`` vertices)."""
        keep = curve_index(self.forecast.size)
        return {
            "brier": self.brier,
            "mcb": self.mcb,
            "dsc": self.dsc,
            "unc": self.unc,
            "curve_forecast": self.forecast[keep].tolist(),
            "curve_recalibrated": self.recalibrated[keep].tolist(),
        }


@dataclass(frozen=True)
class MiscalibrationTest:
    """Consistency-resampling test of calibration: reject when ``p_value <= alpha``.

    ``band_low`` / ``band_high``: pointwise ``BAND_LEVEL`` quantiles of the resampled
    recalibrated curves at the forecasts ``decomposition.forecast[curve_index(...)]``, the
    consistency band a calibrated forecast's reliability curve stays in pointwise.
    """

    decomposition: CorpDecomposition
    resampled_mcb: np.ndarray
    p_value: float
    alpha: float
    band_low: np.ndarray
    band_high: np.ndarray

    @property
    def rejected(self) -> bool:
        return self.p_value <= self.alpha

    @property
    def mcb_critical(self) -> float:
        """The smallest resampled MCB with at most alpha (B + 1) - 1 resamples at or above it:
        MCB above this value is rejected."""
        b = self.resampled_mcb.size
        k = int(np.floor(self.alpha * (b + 1)))
        return float(np.sort(self.resampled_mcb)[b - k]) if k >= 1 else float("inf")

    def to_json(self) -> dict[str, Any]:
        """The JSON written for this typed part of a check's details (see :meth:`details`)."""
        return self.details()

    def details(self) -> dict[str, Any]:
        return {
            **self.decomposition.details(),
            "p_value": self.p_value,
            "alpha": self.alpha,
            "n_resamples": int(self.resampled_mcb.size),
            "resampled_mcb_median": float(np.median(self.resampled_mcb)),
            "mcb_critical": self.mcb_critical,
            "rejected": self.rejected,
            "band_level": BAND_LEVEL,
            "band_low": self.band_low.tolist(),
            "band_high": self.band_high.tolist(),
        }


def _checked(p: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    p_arr = np.asarray(p, dtype=float).ravel()
    y_arr = np.asarray(y).ravel()
    if p_arr.size < 2:
        raise InvalidInputError("p", p_arr.size, "need at least 2 forecasts")
    if y_arr.shape != p_arr.shape:
        raise InvalidInputError("y", y_arr.shape, f"must have the shape of p, {p_arr.shape}")
    if not np.all(np.isfinite(p_arr)) or np.any((p_arr < 0.0) | (p_arr > 1.0)):
        bad = p_arr[~(np.isfinite(p_arr) & (p_arr >= 0.0) & (p_arr <= 1.0))][0]
        raise InvalidInputError("p", float(bad), "forecasts must lie in [0, 1]")
    y_float = y_arr.astype(float)
    if np.any((y_float != 0.0) & (y_float != 1.0)):
        bad = y_arr[(y_float != 0.0) & (y_float != 1.0)][0]
        raise InvalidInputError("y", bad, "events must be 0 or 1")
    return p_arr, y_float


def _pooled(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    forecast, inverse = np.unique(p, return_inverse=True)
    return forecast, inverse, np.bincount(inverse).astype(float)


def _decompose(
    p: np.ndarray, y: np.ndarray, pooled: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> CorpDecomposition:
    forecast, inverse, count = pooled
    fit = isotonic_regression(np.bincount(inverse, weights=y) / count, weights=count).x
    brier = float(np.mean((p - y) ** 2))
    brier_fit = float(np.mean((fit[inverse] - y) ** 2))
    ybar = float(y.mean())
    unc = ybar * (1.0 - ybar)
    return CorpDecomposition(
        forecast=forecast,
        recalibrated=fit,
        count=count.astype(np.int64),
        brier=brier,
        mcb=brier - brier_fit,
        dsc=unc - brier_fit,
        unc=unc,
    )


def corp_decomposition(p: Any, y: Any) -> CorpDecomposition:
    """CORP reliability curve and Brier decomposition of forecasts ``p`` for events ``y``.

    Raises:
        InvalidInputError: p outside [0, 1] or not finite, y not 0/1, shapes differ, < 2 values.
    """
    p_arr, y_arr = _checked(p, y)
    return _decompose(p_arr, y_arr, _pooled(p_arr))


def miscalibration_test(
    p: Any,
    y: Any,
    rng: np.random.Generator,
    *,
    alpha: float = 0.001,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> MiscalibrationTest:
    """Consistency-resampling test of H0 "p is calibrated for y" at level ``alpha``.

    Raises:
        InvalidInputError: bad p / y (see :func:`corp_decomposition`), alpha outside (0, 1),
            or fewer than ceil(1 / alpha) - 1 resamples (the test could never reject).
    """
    if not 0.0 < alpha < 1.0:
        raise InvalidInputError("alpha", alpha, "must lie in (0, 1)")
    if n_resamples < int(np.ceil(1.0 / alpha)) - 1:
        raise InvalidInputError(
            "n_resamples", n_resamples, f"must be >= 1 / alpha - 1 = {1 / alpha - 1:g}"
        )
    p_arr, y_arr = _checked(p, y)
    pooled = _pooled(p_arr)
    decomposition = _decompose(p_arr, y_arr, pooled)
    keep = curve_index(decomposition.forecast.size)
    mcb, curves = np.empty(n_resamples), np.empty((n_resamples, keep.size))
    for b in range(n_resamples):
        d = _decompose(p_arr, (rng.random(p_arr.size) < p_arr).astype(float), pooled)
        mcb[b], curves[b] = d.mcb, d.recalibrated[keep]
    exceed = np.count_nonzero(mcb >= decomposition.mcb - MCB_ROUNDING)
    p_value = (1.0 + exceed) / (n_resamples + 1.0)
    tail = (1.0 - BAND_LEVEL) / 2.0
    low, high = np.quantile(curves, [tail, 1.0 - tail], axis=0)
    return MiscalibrationTest(decomposition, mcb, float(p_value), float(alpha), low, high)
