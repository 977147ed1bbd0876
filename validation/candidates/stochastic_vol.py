"""Correct candidate of the ``"stochastic_vol"`` family: :class:`online.StochasticVolParams`.

Signature (see validation/families.py): ``(returns, StochasticVolConfig) -> SvFit``.
"""

from __future__ import annotations

import numpy as np

from online.stochastic_vol import StochasticVolConfig, StochasticVolParams
from validation.families import SvFit


def stochastic_vol_fit(returns: np.ndarray, config: StochasticVolConfig) -> SvFit:
    """Stream the per-bucket log returns through ``StochasticVolParams(config)``.

    Example::

        >>> import numpy as np
        >>> r = np.random.default_rng(0).normal(0.0, 1e-3, 500)
        >>> fit = stochastic_vol_fit(r, StochasticVolConfig())
        >>> bool(abs(fit.mu - np.log(1e-6)) < 0.5)
        True
    """
    return fit_of(streamed(returns, config))


def streamed(returns: np.ndarray, config: StochasticVolConfig) -> StochasticVolParams:
    """``StochasticVolParams(config)`` after ``update(r)`` for every return, in order."""
    est = StochasticVolParams(config)
    for r in returns:
        est.update(float(r))
    return est


def fit_of(est: StochasticVolParams) -> SvFit:
    """The estimator's reported (phi, mu, xi, leverage)."""
    return SvFit(
        phi=est.persistence,
        mu=est.long_run_log_variance,
        xi=est.vol_of_vol,
        leverage=est.leverage,
    )
