"""Gamma posterior value object for an exponential rate (kappa).

Parameterisation: **shape-rate**. ``Gamma(alpha, beta)`` has density
``beta**alpha / Gamma(alpha) * k**(alpha-1) * exp(-beta k)``, mean ``alpha/beta`` and variance
``alpha/beta**2``. scipy's ``gamma`` takes a *scale*, so every scipy call uses
``scale = 1/beta``. Units: kappa is in 1/(fraction of mid), so with distances as fractions of
the mid a kappa of 2500 means a mean distance of 4e-4 (4 bp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from online import _checks


@dataclass(frozen=True)
class GammaPosterior:
    """Gamma(alpha, beta) in shape-rate form, alpha > 0, beta > 0."""

    alpha: float
    beta: float

    def __post_init__(self) -> None:
        _checks.positive("alpha", self.alpha)
        _checks.positive("beta", self.beta)

    @property
    def mean(self) -> float:
        """E[kappa] = alpha / beta."""
        return self.alpha / self.beta

    @property
    def var(self) -> float:
        """Var[kappa] = alpha / beta**2."""
        return self.alpha / (self.beta * self.beta)

    @property
    def sd(self) -> float:
        """sd[kappa] = sqrt(alpha) / beta."""
        return math.sqrt(self.alpha) / self.beta

    @property
    def mode(self) -> float:
        """(alpha - 1) / beta for alpha >= 1, else 0."""
        return max(self.alpha - 1.0, 0.0) / self.beta

    def frozen(self):  # -> scipy.stats rv_frozen
        """The frozen ``scipy.stats.gamma(a=alpha, scale=1/beta)``."""
        return stats.gamma(a=self.alpha, scale=1.0 / self.beta)

    def cdf(self, x: float | np.ndarray) -> float | np.ndarray:
        """P(kappa <= x), exact (regularised lower incomplete gamma)."""
        return stats.gamma.cdf(x, a=self.alpha, scale=1.0 / self.beta)

    def ppf(self, q: float | np.ndarray) -> float | np.ndarray:
        """Quantile function, exact inverse of :meth:`cdf`: ``gammaincinv(alpha, q) * (1/beta)``.

        This is what ``scipy.stats.gamma.ppf(q, a=alpha, scale=1/beta)`` computes (same
        values), without the distribution machinery's per-call overhead (about 5 us instead of
        about 75 us); NaN for q outside [0, 1].
        """
        return special.gammaincinv(self.alpha, q) * (1.0 / self.beta)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval ``(ppf((1-level)/2), ppf((1+level)/2))``.

        Raises:
            InvalidInputError: if ``level`` is not strictly inside (0, 1).
        """
        lv = _checks.unit_interval_open("level", level)
        return float(self.ppf((1.0 - lv) / 2.0)), float(self.ppf((1.0 + lv) / 2.0))
