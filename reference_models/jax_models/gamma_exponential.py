"""kappa ~ Gamma(a0, rate b0), d_i ~ Exponential(kappa), sampled as u = log kappa.

log p(u, d) = a0 log b0 - lgamma(a0) + a0 u - b0 e^u + sum_i m_i (u - e^u d_i)
            = a0 log b0 - lgamma(a0) + (a0 + n) u - (b0 + S) e^u

(m_i the padding mask, n = sum m_i the count and S = sum m_i d_i the sum of the distances: the
sufficient statistics, computed once per data set so a gradient costs O(1), not O(n)).
Data: ``distances`` (+ ``distances_mask``), ``prior_alpha``, ``prior_beta``.
``swap_rate_and_scale=True`` is a deliberately wrong variant that uses 1 / b0 as the prior
rate (the scale and rate confused): the known-bad implementation the agreement and SBC checks
must reject. Start: u = log(a0 / b0) + U(-1, 1), the log prior mean jittered.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from reference_models.jax_models import JaxModel
from reference_models.jax_models._logpdf import gamma_of_log

NAME = "gamma_exponential"


def build(prior_alpha: float, prior_beta: float, *, swap_rate_and_scale: bool = False) -> JaxModel:
    """The model; the prior comes from the data (``prior_alpha``, ``prior_beta``), whose
    defaults are these build arguments (as in the PyMC model)."""
    del prior_alpha, prior_beta  # they arrive as data, defaults filled in by ReferenceModel

    def prior_rate(data):
        b0 = data["prior_beta"]
        return 1.0 / b0 if swap_rate_and_scale else b0

    def summarise(data):
        mask = data["distances_mask"]
        return {
            "n": jnp.sum(mask),
            "sum_distances": jnp.sum(mask * data["distances"]),
            "prior_alpha": data["prior_alpha"],
            "prior_beta": data["prior_beta"],
        }

    def logdensity(position, summary):
        u = position["log_kappa"]
        prior = gamma_of_log(u, summary["prior_alpha"], prior_rate(summary))
        return prior + summary["n"] * u - jnp.exp(u) * summary["sum_distances"]

    def constrain(position, data):
        return {"kappa": jnp.exp(position["log_kappa"])}

    def initial_position(key, data):
        centre = jnp.log(data["prior_alpha"] / prior_rate(data))
        return {"log_kappa": centre + jax.random.uniform(key, (), minval=-1.0, maxval=1.0)}

    return JaxModel(
        name=NAME + ("[rate and scale swapped]" if swap_rate_and_scale else ""),
        summarise=summarise,
        logdensity=logdensity,
        constrain=constrain,
        initial_position=initial_position,
        variables=("kappa",),
        dims={},
        source=__name__,
    )
