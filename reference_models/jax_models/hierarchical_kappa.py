"""Hierarchical own-fill kappa, sampled as w_g = log kappa_own[g], v = log kappa_market,
s = log a0 (each only when it is a free variable).

log p = [market="learned"]  gamma_of_log(v; h, h / m) + sum_i m_i (v - e^v x_i)
      + [a0 learned]        Normal(s; log a0_median, a0_log_sd)
      + sum_g gamma_of_log(w_g; a0, a0 / kappa_market)
      + sum_j m_j (w_{g_j} - e^{w_{g_j}} d_j)

with x the market distances, d the own distances, g_j their groups, m the padding masks. The
likelihood terms depend on the data only through counts and sums, n_x v - e^v S_x and
sum_g (n_g w_g - e^{w_g} S_g), computed once per data set (per group by a segment sum). The
LogNormal prior on a0 becomes a Normal density of s = log a0 (the Jacobian cancels the 1/a0).
With ``market="pinned"`` kappa_market is the data input ``kappa_market``. The sampler works in
these log coordinates whatever ``parameterisation`` the PyMC model uses; for
``"non_centred"`` the output also holds ``kappa_own_ratio`` = kappa_own / kappa_market, as the
PyMC model reports it. ``swap_rate_and_scale=True``: the known-bad variant that uses
m / h (the scale) as the rate of the kappa_market prior (pinned: kappa_market / a0 instead of
a0 / kappa_market as the rate of kappa_own). Start: every log coordinate at its prior centre
(log m, log kappa_market, log a0_median) plus U(-1, 1).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from reference_models.jax_models import JaxModel
from reference_models.jax_models._logpdf import gamma_of_log, normal

NAME = "hierarchical_kappa"


def build(
    *,
    n_groups: int = 2,
    market: str = "learned",
    a0: float | None = 5.0,
    a0_median: float = 5.0,
    a0_log_sd: float = 1.0,
    market_prior_shape: float = 2.0,
    market_prior_mean: float = 2500.0,
    parameterisation: str = "centred",
    swap_rate_and_scale: bool = False,
) -> JaxModel:
    """The model for the PyMC model's build arguments (``market_prior_mean`` arrives as data)."""
    del market_prior_mean
    learned = market == "learned"
    h = float(market_prior_shape)

    def kappa_market_log(position, data):
        if learned:
            return position["log_kappa_market"]
        return jnp.log(data["kappa_market"])

    def concentration_log(position):
        return position["log_a0"] if a0 is None else jnp.log(a0)

    def summarise(data):
        group, mask = data["own_group"], data["own_distances_mask"]
        out = {
            "n_own": jax.ops.segment_sum(mask, group, num_segments=n_groups),
            "sum_own": jax.ops.segment_sum(mask * data["own_distances"], group, n_groups),
        }
        if learned:
            x_mask = data["market_distances_mask"]
            out["n_market"] = jnp.sum(x_mask)
            out["sum_market"] = jnp.sum(x_mask * data["market_distances"])
            out["kappa_market_prior_mean"] = data["kappa_market_prior_mean"]
        else:
            out["kappa_market"] = data["kappa_market"]
        return out

    def logdensity(position, summary):
        v = kappa_market_log(position, summary)
        s = concentration_log(position)
        conc, w = jnp.exp(s), position["log_kappa_own"]
        total = 0.0
        if learned:
            m = summary["kappa_market_prior_mean"]
            rate = m / h if swap_rate_and_scale else h / m
            total += gamma_of_log(v, h, rate)
            total += summary["n_market"] * v - jnp.exp(v) * summary["sum_market"]
        if a0 is None:
            total += normal(s, math.log(a0_median), a0_log_sd)
        own_rate = jnp.exp(v - s) if (swap_rate_and_scale and not learned) else jnp.exp(s - v)
        total += jnp.sum(gamma_of_log(w, conc, own_rate))
        return total + jnp.sum(summary["n_own"] * w - jnp.exp(w) * summary["sum_own"])

    def constrain(position, data):
        out = {"kappa_own": jnp.exp(position["log_kappa_own"])}
        if learned:
            out["kappa_market"] = jnp.exp(position["log_kappa_market"])
        if a0 is None:
            out["a0"] = jnp.exp(position["log_a0"])
        if parameterisation == "non_centred":
            out["kappa_own_ratio"] = jnp.exp(
                position["log_kappa_own"] - kappa_market_log(position, data)
            )
        return out

    def initial_position(key, data):
        keys = jax.random.split(key, 3)
        centre = jnp.log(data["kappa_market_prior_mean"] if learned else data["kappa_market"])
        out = {
            "log_kappa_own": centre + jax.random.uniform(keys[0], (n_groups,), minval=-1, maxval=1)
        }
        if learned:
            out["log_kappa_market"] = centre + jax.random.uniform(keys[1], (), minval=-1, maxval=1)
        if a0 is None:
            out["log_a0"] = math.log(a0_median) + jax.random.uniform(
                keys[2], (), minval=-1, maxval=1
            )
        return out

    variables = ["kappa_own"]
    variables += ["kappa_market"] if learned else []
    variables += ["a0"] if a0 is None else []
    variables += ["kappa_own_ratio"] if parameterisation == "non_centred" else []
    return JaxModel(
        name=NAME + ("[rate and scale swapped]" if swap_rate_and_scale else ""),
        summarise=summarise,
        logdensity=logdensity,
        constrain=constrain,
        initial_position=initial_position,
        variables=tuple(variables),
        dims={"kappa_own": ("group",), "kappa_own_ratio": ("group",)},
        source=__name__,
    )
