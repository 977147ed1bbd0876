"""Two kappa estimators written outside the package, to point the suite's checks at.

Model (README conventions): fill distances d_i ~ Exponential(rate kappa), in fractions of the
mid; prior kappa ~ Gamma(alpha, beta), shape-RATE. The conjugate posterior is

    kappa | d_1..d_n ~ Gamma(alpha + n, beta + sum d_i).

``conjugate_kappa`` computes exactly that. ``scale_for_rate_kappa`` makes the classic
parameterisation slip: it reads the prior's rate ``beta`` as a scale (as in
``scipy.stats.gamma(a, scale=...)``) and adds ``1 / beta`` to the sum of distances. With the
suite's prior Gamma(5, 5/2500) that is 500 instead of 0.002, so the posterior mean is about
(5 + n) / 500 instead of about 2500. The two differ in one expression; ``sbc.kappa_pit``
passes the first and fails the second::

    PYTHONPATH=examples python -m validation check sbc.kappa_pit \\
        --candidate kappa=user_kappa_estimators:conjugate_kappa          # exit 0
    PYTHONPATH=examples python -m validation check sbc.kappa_pit \\
        --candidate kappa=user_kappa_estimators:scale_for_rate_kappa     # exit 1

A ``"kappa"`` candidate takes ``(KappaData, GammaPrior)`` (``data.distances``, ``prior.alpha``,
``prior.beta``) and returns an object with ``mean``, ``sd``, ``cdf``, ``ppf`` and
``interval(level)``, as :class:`GammaKappaPosterior` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special


@dataclass(frozen=True)
class GammaKappaPosterior:
    """Gamma(shape, rate) posterior of kappa (1/fraction of mid).

    CDF F(x) = P(shape, rate x), the regularised lower incomplete gamma function, and its
    inverse (scipy.special.gammainc / gammaincinv). Example:
    ``GammaKappaPosterior(6.0, 0.0025).mean == 2400.0``.
    """

    shape: float
    rate: float

    @property
    def mean(self) -> float:
        return self.shape / self.rate

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.shape) / self.rate)

    def cdf(self, x: Any) -> Any:
        return special.gammainc(self.shape, self.rate * np.maximum(x, 0.0))

    def ppf(self, q: Any) -> Any:
        return special.gammaincinv(self.shape, q) / self.rate

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Central interval: quantiles (1 - level) / 2 and (1 + level) / 2."""
        low, high = self.ppf(np.array([(1.0 - level) / 2.0, (1.0 + level) / 2.0]))
        return float(low), float(high)


def conjugate_kappa(data: Any, prior: Any) -> GammaKappaPosterior:
    """Correct: Gamma(alpha + n, beta + sum d) from the fills' distances (fractions of mid)."""
    distances = np.asarray(data.distances, dtype=float)
    return GammaKappaPosterior(prior.alpha + distances.size, prior.beta + distances.sum())


def scale_for_rate_kappa(data: Any, prior: Any) -> GammaKappaPosterior:
    """Wrong: the prior rate read as a scale, Gamma(alpha + n, 1 / beta + sum d)."""
    distances = np.asarray(data.distances, dtype=float)
    return GammaKappaPosterior(prior.alpha + distances.size, 1.0 / prior.beta + distances.sum())
