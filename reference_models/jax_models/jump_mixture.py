"""Two-scale zero-mean Gaussian mixture of returns with ordered scales.

Unconstrained coordinates: t = logit pi, l = log(sigma_d / s), x = log(sigma_j / sigma_d - 1),
so sigma_d = s e^l and sigma_j = sigma_d (1 + e^x) > sigma_d (s the data input ``scale``)::

    log p = beta_of_logit(t; pi_alpha, pi_beta)
          + Normal(l; 0, sigma_d_log_sd) + Normal(x; log(ratio_median - 1), ratio_log_sd)
          + sum_i m_i logaddexp(log(1 - pi) + log N(r_i; 0, sigma_d^2),
                                log pi + log N(r_i; 0, sigma_j^2))

(m_i the padding mask; no sufficient statistics, the mixture needs every return; l and x are
the PyMC model's own free variables, so they need no Jacobian). Outputs: pi, log_sigma_d_rel
(= l), log_ratio_excess (= x), sigma_d, sigma_j. Start: t, l, x at their prior centres (logit
of the prior mean, 0, log(ratio_median - 1)) plus U(-1, 1).

``omit_diffusion_weight=True`` is a deliberately wrong variant, the log-sum-exp without the
diffusion component's weight: logaddexp(log N(r_i; 0, sigma_d^2), log pi + log N(r_i; 0,
sigma_j^2)), i.e. (1 - pi) taken as 1. The density is then no longer normalised in pi: each
return adds about -log(1 - pi) to it, which pulls pi up. The known-bad implementation the
agreement check must reject.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from reference_models.jax_models import JaxModel
from reference_models.jax_models._logpdf import beta_of_logit, normal

NAME = "jump_mixture"


def build(
    *,
    pi_alpha: float = 1.0,
    pi_beta: float = 9.0,
    sigma_d_log_sd: float = 1.0,
    ratio_median: float = 4.0,
    ratio_log_sd: float = 1.0,
    omit_diffusion_weight: bool = False,
) -> JaxModel:
    """The mixture with the PyMC model's priors (``omit_diffusion_weight``: the known-bad
    variant of the module docstring)."""
    excess_mu = math.log(ratio_median - 1.0)

    def scales(position, data):
        sigma_d = data["scale"] * jnp.exp(position["log_sigma_d_rel"])
        return sigma_d, sigma_d * (1.0 + jnp.exp(position["log_ratio_excess"]))

    def logdensity(position, data):
        t, ld = position["logit_pi"], position["log_sigma_d_rel"]
        x = position["log_ratio_excess"]
        prior = (
            beta_of_logit(t, pi_alpha, pi_beta)
            + normal(ld, 0.0, sigma_d_log_sd)
            + normal(x, excess_mu, ratio_log_sd)
        )
        sigma_d, sigma_j = scales(position, data)
        r, mask = data["returns"], data["returns_mask"]
        log_pi, log_1m_pi = -jnp.logaddexp(0.0, -t), -jnp.logaddexp(0.0, t)
        if omit_diffusion_weight:
            log_1m_pi = 0.0
        mixture = jnp.logaddexp(
            log_1m_pi + normal(r, 0.0, sigma_d), log_pi + normal(r, 0.0, sigma_j)
        )
        return prior + jnp.sum(mask * mixture)

    def constrain(position, data):
        sigma_d, sigma_j = scales(position, data)
        return {
            "pi": jax.nn.sigmoid(position["logit_pi"]),
            "log_sigma_d_rel": position["log_sigma_d_rel"],
            "log_ratio_excess": position["log_ratio_excess"],
            "sigma_d": sigma_d,
            "sigma_j": sigma_j,
        }

    def initial_position(key, data):
        jitter = jax.random.uniform(key, (3,), minval=-1.0, maxval=1.0)
        return {
            "logit_pi": math.log(pi_alpha / pi_beta) + jitter[0],
            "log_sigma_d_rel": jitter[1],
            "log_ratio_excess": excess_mu + jitter[2],
        }

    return JaxModel(
        name=NAME + ("[diffusion weight omitted]" if omit_diffusion_weight else ""),
        summarise=dict,
        logdensity=logdensity,
        constrain=constrain,
        initial_position=initial_position,
        variables=("pi", "log_sigma_d_rel", "log_ratio_excess", "sigma_d", "sigma_j"),
        dims={},
        source=__name__,
    )
