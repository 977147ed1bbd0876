"""Known-bad candidates of the ``"stochastic_vol"`` family: ``(returns, config) -> SvFit``.

Both are single edits of :class:`online.StochasticVolParams` run on the real code path: the
estimator is streamed as in production and one reported quantity is read from the wrong
formula.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from online.stochastic_vol import StochasticVolConfig
from validation.candidates.stochastic_vol import fit_of, streamed
from validation.families import SvFit


def ols_persistence(returns: np.ndarray, config: StochasticVolConfig) -> SvFit:
    """phi from the plain AR(1) slope of the noisy proxy, Cov(y_{t-1}, y_t) / Var(y_{t-1}):
    attenuated to phi Var(h) / (Var(h) + Var(e)) by the proxy noise (errors in variables)."""
    est = streamed(returns, config)
    return dataclasses.replace(fit_of(est), phi=est.ar1_regression()[1])


def no_proxy_offset(returns: np.ndarray, config: StochasticVolConfig) -> SvFit:
    """mu as the weighted mean of the proxy ln(r^2 + c) without subtracting
    E[ln(z^2 + delta)] (about -1.25): the long-run variance is exp(-1.25) = 0.29 of the truth."""
    est = streamed(returns, config)
    return dataclasses.replace(fit_of(est), mu=est.long_run_log_variance + est.proxy_offset)
