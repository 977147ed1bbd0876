"""The kappa posterior as ``MarketParams`` reports it, rebuilt from (kappa, kappa_uncertainty).

``params()`` states its kappa posterior by its mean m and sd s; a Gamma with that mean and sd
has shape ``a = (m / s)**2`` and rate ``b = m / s**2``, and ``kappa_95_lower`` /
``kappa_95_upper`` must be its 2.5% / 97.5% quantiles. Checks judge the reported numbers, so
a wrong sd, a wrong interval or a mean from another posterior each shows up.

Example::

    >>> post = reported_posterior(2500.0, 1118.0339887498948)  # Gamma(5, 5/2500)
    >>> round(post.mean()), round(post.args[0], 6)
    (2500, 5.0)
"""

from __future__ import annotations

import math
from typing import Any

from scipy import stats


def reported_posterior(kappa: float, kappa_sd: float) -> stats.rv_continuous:
    """Frozen ``scipy.stats.gamma`` with mean ``kappa`` and sd ``kappa_sd`` (both > 0)."""
    if not (math.isfinite(kappa) and math.isfinite(kappa_sd) and kappa > 0.0 and kappa_sd > 0.0):
        raise ValueError(f"kappa={kappa!r}, kappa_uncertainty={kappa_sd!r}: must be finite > 0")
    shape = (kappa / kappa_sd) ** 2
    return stats.gamma(shape, scale=kappa_sd**2 / kappa)


class FrozenPosterior:
    """A frozen scipy distribution seen through :class:`validation.families.PosteriorLike`
    (``mean`` and ``sd`` as attributes, ``interval`` as floats)."""

    def __init__(self, dist: Any) -> None:
        self._d = dist
        self.mean, self.sd = float(dist.mean()), float(dist.std())

    def cdf(self, x: Any) -> Any:
        return self._d.cdf(x)

    def ppf(self, q: Any) -> Any:
        return self._d.ppf(q)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        lo, hi = self._d.interval(level)
        return float(lo), float(hi)
