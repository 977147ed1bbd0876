"""Conjugate reference: kappa ~ Gamma(a0, rate b0), distances d_i ~ Exponential(rate kappa).

Units: distances are |price - mid| / mid (fractions of the mid, 1 bp = 1e-4), so kappa is per
unit fraction (kappa = 2500 means a mean distance of 4 bp). The exact posterior is
Gamma(a0 + n, rate b0 + sum d), which lets the MCMC machinery itself be checked against exact
math.

Data keys: ``"distances"`` (required, >= 0); ``"prior_alpha"`` and ``"prior_beta"`` (optional,
> 0; default the values given to :func:`build`), so one compiled model serves several priors.
"""

from __future__ import annotations

import math

import numpy as np
import pymc as pm
from scipy import stats

from reference_models.base import DataField, ReferenceDataError, ReferenceModel

NAME = "gamma_exponential"


def build(prior_alpha: float, prior_beta: float) -> ReferenceModel:
    """The model with default prior Gamma(shape=prior_alpha, rate=prior_beta) on kappa."""
    fields = [
        DataField("distances", "non_negative"),
        DataField("prior_alpha", "positive", scalar=True, default=prior_alpha),
        DataField("prior_beta", "positive", scalar=True, default=prior_beta),
    ]
    for f in fields[1:]:
        f.validate(f.default)
    with pm.Model(name="") as model:
        a0 = pm.Data("prior_alpha", float(prior_alpha))
        b0 = pm.Data("prior_beta", float(prior_beta))
        distances = pm.Data("distances", np.zeros(0))
        kappa = pm.Gamma("kappa", alpha=a0, beta=b0)
        pm.Exponential("distances_obs", lam=kappa, observed=distances)
    build_args = {"prior_alpha": prior_alpha, "prior_beta": prior_beta}
    return ReferenceModel(NAME, model, fields, module=NAME, build_args=build_args)


def analytic_posterior(
    distances: np.ndarray, prior_alpha: float, prior_beta: float
) -> stats.rv_continuous:
    """Exact posterior of kappa: scipy ``gamma(a=a0 + n, scale=1 / (b0 + sum d))`` (shape-scale)."""
    d = DataField("distances", "non_negative").validate(distances)
    a0 = float(DataField("prior_alpha", "positive", scalar=True).validate(prior_alpha))
    b0 = float(DataField("prior_beta", "positive", scalar=True).validate(prior_beta))
    rate = b0 + math.fsum(d)
    if not math.isfinite(rate):
        raise ReferenceDataError("distances", rate, "sum of distances overflows")
    return stats.gamma(a=a0 + d.size, scale=1.0 / rate)
