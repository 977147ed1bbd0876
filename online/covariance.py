"""Exponentially weighted joint covariance of the (kappa, sigma) point estimates.

Units: kappa in 1/(fraction of mid), sigma as a fraction of the mid per sqrt(time unit of the
caller); the covariance is in their product units.

Weights: after n updates observation i has weight ``w_i = d**(n - i)`` with
``d = 2**(-1/half_life_ticks)``. Moments are kept with West's weighted incremental algorithm::

    W <- d W + 1
    dx = x - mean_x_old,  dy = y - mean_y_old
    mean_x <- mean_x_old + dx / W,  mean_y <- mean_y_old + dy / W
    C_xy <- d C_xy + dx (y - mean_y_new) = d C_xy + f dx dy,   f = d W_old / W = 1 - 1/W
    C_xx <- d C_xx + f dx**2,  C_yy <- d C_yy + f dy**2
    cov = C / W

so ``cov`` equals ``np.cov(x, y, aweights=w, bias=True)`` from the first observation on (no
zero-start bias), works on deviations (no ``E[xy] - E[x]E[y]`` cancellation), and the
variances are sums of non-negative terms, hence never negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from online import _checks
from online.errors import InvalidInputError
from online.serialization import FLOAT, INT, NONNEGATIVE, StateField, Stateful, fields


@dataclass(frozen=True)
class ParameterCovarianceConfig:
    """Configuration (production defaults).

    Attributes:
        half_life_ticks: half-life of the weights in updates (ticks), finite and > 0.
        min_observations: updates needed before :meth:`ParameterCovariance.correlation`
            reports a value (integer >= 1).
    """

    half_life_ticks: float = 50.0
    min_observations: int = 20

    def __post_init__(self) -> None:
        _checks.positive("half_life_ticks", self.half_life_ticks)
        m = self.min_observations
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise InvalidInputError("min_observations", m, "must be an integer >= 1")


class ParameterCovariance(Stateful):
    """Streaming exponentially weighted covariance of (kappa, sigma).

    ``update(kappa, sigma)`` takes kappa > 0 and sigma >= 0 (finite). Before the first
    update :meth:`means`, :meth:`variances`, :meth:`covariance` and
    :meth:`covariance_matrix` return ``None``; afterwards they are the exact weighted
    moments. :meth:`correlation` returns ``None`` ("not yet") until ``min_observations``
    updates and whenever a variance is zero.

    >>> cov = ParameterCovariance(ParameterCovarianceConfig(min_observations=2))
    >>> for kappa, sigma in [(2000.0, 1e-4), (2500.0, 2e-4), (3000.0, 3e-4)]:
    ...     cov.update(kappa, sigma)
    >>> cov.correlation()  # sigma is linear in kappa
    1.0
    """

    __slots__ = ("_config", "_count", "_cxx", "_cxy", "_cyy", "_decay", "_mx", "_my", "_w")
    _state_config = ParameterCovarianceConfig
    _state_fields = (
        *fields(NONNEGATIVE, (("weight_sum", "_w"), ("c_kk", "_cxx"), ("c_ss", "_cyy"))),
        *fields(FLOAT, (("mean_kappa", "_mx"), ("mean_sigma", "_my"), ("c_ks", "_cxy"))),
        StateField("observation_count", "_count", INT),
    )

    def __init__(self, config: ParameterCovarianceConfig | None = None) -> None:
        self._config = ParameterCovarianceConfig() if config is None else config
        self._decay = 2.0 ** (-1.0 / self._config.half_life_ticks)
        self._w = 0.0
        self._mx = self._my = 0.0
        self._cxx = self._cyy = self._cxy = 0.0
        self._count = 0

    @property
    def config(self) -> ParameterCovarianceConfig:
        return self._config

    @property
    def observation_count(self) -> int:
        return self._count

    @property
    def is_valid(self) -> bool:
        """True once ``min_observations`` updates have been seen."""
        return self._count >= self._config.min_observations

    def update(self, kappa: float, sigma: float) -> None:
        """Fold in one (kappa, sigma) pair; kappa > 0, sigma >= 0, both finite."""
        x = _checks.positive("kappa", kappa)
        y = _checks.non_negative("sigma", sigma)
        d = self._decay
        w = d * self._w + 1.0
        dx, dy = x - self._mx, y - self._my
        f = d * self._w / w
        mx, my = self._mx + dx / w, self._my + dy / w
        cxx = d * self._cxx + f * dx * dx
        cyy = d * self._cyy + f * dy * dy
        cxy = d * self._cxy + f * dx * dy
        if not all(map(math.isfinite, (cxx, cyy, cxy))):
            field, value = ("kappa", kappa) if not math.isfinite(cxx) else ("sigma", sigma)
            raise InvalidInputError(field, value, "moment update would overflow float64")
        self._w, self._mx, self._my = w, mx, my
        self._cxx, self._cyy, self._cxy = cxx, cyy, cxy
        self._count += 1

    def means(self) -> tuple[float, float] | None:
        """Weighted means ``(mean_kappa, mean_sigma)``; ``None`` before data."""
        return None if self._count == 0 else (self._mx, self._my)

    def variances(self) -> tuple[float, float] | None:
        """Weighted (biased) variances ``(var_kappa, var_sigma)``, each >= 0."""
        return None if self._count == 0 else (self._cxx / self._w, self._cyy / self._w)

    def covariance(self) -> float | None:
        """Weighted (biased) covariance ``cov(kappa, sigma) = C_xy / W``."""
        return None if self._count == 0 else self._cxy / self._w

    def covariance_matrix(self) -> np.ndarray | None:
        """2x2 matrix ``[[var_k, cov], [cov, var_s]]`` (order kappa, sigma)."""
        if self._count == 0:
            return None
        return np.array([[self._cxx, self._cxy], [self._cxy, self._cyy]]) / self._w

    def correlation(self) -> float | None:
        """``C_xy / (sqrt(C_xx) sqrt(C_yy))`` clipped to [-1, 1], or ``None`` ("not yet").

        ``None`` with fewer than ``min_observations`` updates or a zero variance.
        """
        if self._count < self._config.min_observations:
            return None
        denom = math.sqrt(self._cxx) * math.sqrt(self._cyy)
        if denom == 0.0:
            return None
        return min(1.0, max(-1.0, self._cxy / denom))
