"""Two-scale Gaussian mixture of returns (diffusion vs jump) with ordered scales.

Model (returns are log returns; s is the data scale, see below)::

    r_i ~ (1 - pi) N(0, sigma_d^2) + pi N(0, sigma_j^2)      (z_i marginalised: logaddexp)
    pi ~ Beta(pi_alpha, pi_beta)                               default Beta(1, 9): mean 0.1
    log(sigma_d / s) ~ Normal(0, sigma_d_log_sd)               default log-sd 1
    log(sigma_j / sigma_d - 1) ~ Normal(log(ratio_median - 1), ratio_log_sd)
                                                               default ratio median 4, log-sd 1

so sigma_j = sigma_d * (1 + exp(.)) > sigma_d always: the components cannot swap labels. The
ratio prior is centred on the production start sigma_j = 4 sigma_d.

Data scale. ``"scale"`` is a ``pm.Data`` input, so one compiled model serves returns of any
scale (the sampled quantities are all O(1)). When it is not given it defaults to the robust
scale of the returns, median(|r|) / Phi^-1(0.75), which is close to sigma_d when jumps are a
minority (4.8% above it for pi = 0.05, sigma_j = 5 sigma_d). This makes the prior on sigma_d
weakly data-dependent (its centre, not its width), which is immaterial for the hundreds of
returns the reference is used with. Pass ``"scale"`` explicitly for a fixed prior.

Data keys: ``"returns"`` (required, finite), ``"scale"`` (optional, > 0).
"""

from __future__ import annotations

import math

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy import special, stats

from reference_models.base import DataField, ReferenceModel
from reference_models.sampling import FitResult

NAME = "jump_mixture"
_MAX_CHUNK = 4_000_000
_LOG_2PI = math.log(2.0 * math.pi)


def robust_scale(data) -> float:
    """median(|r|) / Phi^-1(0.75) of the ``"returns"`` in ``data`` (NaN when empty)."""
    returns = data["returns"]
    if returns.size == 0:
        return math.nan
    return float(np.median(np.abs(returns)) / stats.norm.ppf(0.75))


def build(
    *,
    pi_alpha: float = 1.0,
    pi_beta: float = 9.0,
    sigma_d_log_sd: float = 1.0,
    ratio_median: float = 4.0,
    ratio_log_sd: float = 1.0,
) -> ReferenceModel:
    """Build the mixture with the stated priors (see the module docstring)."""
    for name, value in [
        ("pi_alpha", pi_alpha),
        ("pi_beta", pi_beta),
        ("sigma_d_log_sd", sigma_d_log_sd),
        ("ratio_median - 1", ratio_median - 1.0),
        ("ratio_log_sd", ratio_log_sd),
    ]:
        DataField(name, "positive", scalar=True).validate(value)
    fields = [
        DataField("returns", "real"),
        DataField("scale", "positive", scalar=True, default=robust_scale),
    ]
    with pm.Model() as model:
        returns = pm.Data("returns", np.zeros(0))
        scale = pm.Data("scale", 1.0)
        # float64 constants: PyTensor keeps a Python float that is exact in float32 (1.0, 9.0)
        # as float32, which would evaluate e.g. betaln(1, 9) in single precision.
        f64 = np.float64
        pi = pm.Beta("pi", alpha=f64(pi_alpha), beta=f64(pi_beta))
        log_sd_rel = pm.Normal("log_sigma_d_rel", mu=f64(0.0), sigma=f64(sigma_d_log_sd))
        log_excess = pm.Normal(
            "log_ratio_excess", mu=f64(math.log(ratio_median - 1.0)), sigma=f64(ratio_log_sd)
        )
        sigma_d = pm.Deterministic("sigma_d", scale * pt.exp(log_sd_rel))
        sigma_j = pm.Deterministic("sigma_j", sigma_d * (1.0 + pt.exp(log_excess)))
        pm.CustomDist("returns_obs", pi, sigma_d, sigma_j, logp=_mixture_logp, observed=returns)
    build_args = {
        "pi_alpha": pi_alpha,
        "pi_beta": pi_beta,
        "sigma_d_log_sd": sigma_d_log_sd,
        "ratio_median": ratio_median,
        "ratio_log_sd": ratio_log_sd,
    }
    return ReferenceModel(NAME, model, fields, module=NAME, build_args=build_args)


def _mixture_logp(value, pi, sigma_d, sigma_j):
    """log((1 - pi) N(r; 0, sigma_d^2) + pi N(r; 0, sigma_j^2)) per return, via logaddexp.

    Written out rather than ``pm.NormalMixture``: the same density and gradient, about 3x
    faster to evaluate (0.14 ms vs 0.41 ms for 2000 returns, best of 7 timings).
    """
    log_d = pt.log1p(-pi) - pt.log(sigma_d) - 0.5 * _LOG_2PI - 0.5 * pt.sqr(value / sigma_d)
    log_j = pt.log(pi) - pt.log(sigma_j) - 0.5 * _LOG_2PI - 0.5 * pt.sqr(value / sigma_j)
    return pt.logaddexp(log_d, log_j)


def membership_probabilities(fit_result: FitResult, returns: np.ndarray) -> np.ndarray:
    """Posterior P(z_i = jump | data) per return, averaged over the posterior draws.

    For each draw, the log-odds of the jump component are
    log(pi) - log(1 - pi) + log N(r; 0, sigma_j^2) - log N(r; 0, sigma_d^2), computed in log
    space and mapped through the logistic function (no underflow even at 50 sigma_d).
    """
    r = DataField("returns", "real").validate(returns)
    post = fit_result.idata.posterior
    pi, sd, sj = (post[v].values.reshape(-1, 1) for v in ("pi", "sigma_d", "sigma_j"))
    total = np.zeros(r.size)
    step = max(1, _MAX_CHUNK // max(r.size, 1))
    for lo in range(0, pi.shape[0], step):
        sl = slice(lo, lo + step)
        log_odds = (
            np.log(pi[sl])
            - np.log1p(-pi[sl])
            + stats.norm.logpdf(r, 0.0, sj[sl])
            - stats.norm.logpdf(r, 0.0, sd[sl])
        )
        total += special.expit(log_odds).sum(axis=0)
    return total / pi.shape[0]
