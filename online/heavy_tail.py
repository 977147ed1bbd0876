"""Heavy-tail detector for the distances behind a kappa estimate.

Statistic: the coefficient of variation of the window's distances,

    CV = sd / mean,   sd = sqrt(m2 / n)   (population sd, ddof = 0; m2 = sum (d - mean)^2),

undefined (NaN) for fewer than 2 distances or a non-positive mean. CV is unit-free. An
exponential distribution has CV = 1; a heavier tail than the exponential gives CV > 1.

Rule (as in production): each update records whether CV exceeded ``cv_threshold`` (1.2); once
at least ``min_updates`` (100) updates have been recorded, the distances are flagged heavy
tailed while the fraction of *all recorded updates* whose CV exceeded the threshold is greater
than ``heavy_fraction`` (0.8). The counts are lifetime counts, as in production: the flag
reacts slowly to a change of regime. An update with an undefined CV counts as an update that
did not exceed. While flagged, kappa is scaled by ``clamp(2 - CV, 0.5, 1)`` (``kappa_scale``);
otherwise (or while CV is undefined) the scale is 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from online import _checks
from online.errors import InvalidInputError
from online.rolling_sums import RollingWindow, check_non_negative
from online.serialization import INT, NAN_AS_NONE, StateField, Stateful

MIN_KAPPA_SCALE = 0.5
MAX_KAPPA_SCALE = 1.0


def coefficient_of_variation(window: RollingWindow) -> float:
    """CV = sqrt(m2 / n) / mean of the window's values; NaN if n < 2 or mean <= 0."""
    n = window.count
    if n < 2:
        return math.nan
    mean = window.total / n
    if mean <= 0.0:
        return math.nan
    return math.sqrt(max(window.m2, 0.0) / n) / mean


@dataclass(frozen=True)
class HeavyTailConfig:
    """Production defaults of the heavy-tail rule.

    Attributes:
        cv_threshold: CV above which an update counts as heavy tailed (unit-free, > 0).
        heavy_fraction: flag when the fraction of exceeding updates is greater than this
            (in [0, 1)).
        min_updates: no flag before this many updates have been recorded (integer >= 1).
    """

    cv_threshold: float = 1.2
    heavy_fraction: float = 0.8
    min_updates: int = 100

    def __post_init__(self) -> None:
        _checks.positive("cv_threshold", self.cv_threshold)
        _checks.unit_interval_closed("heavy_fraction", self.heavy_fraction)
        if self.heavy_fraction >= 1.0:
            raise InvalidInputError("heavy_fraction", self.heavy_fraction, "must be < 1")
        if isinstance(self.min_updates, bool) or not isinstance(self.min_updates, int):
            raise InvalidInputError("min_updates", self.min_updates, "must be an integer")
        if self.min_updates < 1:
            raise InvalidInputError("min_updates", self.min_updates, "must be >= 1")


class HeavyTailDetector(Stateful):
    """Counts how often the window CV exceeds the threshold; see the module docstring.

    >>> det = HeavyTailDetector(HeavyTailConfig(min_updates=2))
    >>> det.record(1.5)
    >>> det.record(1.3)
    >>> det.is_heavy_tailed, det.kappa_scale  # 2 of 2 updates above CV 1.2; scale 2 - 1.3
    (True, 0.7)
    """

    _state_config = HeavyTailConfig
    _state_fields = (
        StateField("cv", "_cv", NAN_AS_NONE),
        StateField("updates", "_updates", INT),
        StateField("exceedances", "_exceedances", INT),
    )

    def __init__(self, config: HeavyTailConfig | None = None) -> None:
        self.config = config if config is not None else HeavyTailConfig()
        self._cv = math.nan
        self._updates = 0
        self._exceedances = 0

    def record(self, cv: float) -> None:
        """Record the window CV after one update (NaN = undefined; otherwise finite, >= 0).

        Raises:
            InvalidInputError: if ``cv`` is negative or infinite (state unchanged).
        """
        if not (isinstance(cv, float) and math.isnan(cv)):
            cv = check_non_negative("cv", cv)
        self._cv = cv
        self._updates += 1
        if cv > self.config.cv_threshold:
            self._exceedances += 1

    @property
    def cv(self) -> float:
        """The last recorded coefficient of variation (NaN before any or when undefined)."""
        return self._cv

    @property
    def update_count(self) -> int:
        """Number of recorded updates."""
        return self._updates

    @property
    def exceedance_count(self) -> int:
        """Number of recorded updates whose CV exceeded ``cv_threshold``."""
        return self._exceedances

    @property
    def is_heavy_tailed(self) -> bool:
        """``updates >= min_updates`` and ``exceedances / updates > heavy_fraction``."""
        cfg = self.config
        return (
            self._updates >= cfg.min_updates
            and self._exceedances > cfg.heavy_fraction * self._updates
        )

    @property
    def kappa_scale(self) -> float:
        """``clamp(2 - CV, 0.5, 1)`` while heavy tailed with a defined CV, else 1."""
        if not self.is_heavy_tailed or math.isnan(self._cv):
            return MAX_KAPPA_SCALE
        return min(max(2.0 - self._cv, MIN_KAPPA_SCALE), MAX_KAPPA_SCALE)
