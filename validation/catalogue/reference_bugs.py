"""Known-bad reference models for the MCMC rank SBC (family ``"reference"``).

A ``"reference"`` candidate is a function returning the JAX model that
``sbc.reference_gamma_exponential_ranks_jax`` samples in place of the reference
implementation (:func:`validation.calibration.sbc_vectorised.run_vectorised_ranks`).

- :func:`latest_half_jax_model`: the conjugate model whose likelihood is built on the latest
  half of the distances only. Its posterior is the exact posterior of those ceil(n / 2)
  distances, so the rank of kappa stays uniform (a parameter rank cannot see it), but the
  log-likelihood of ALL the distances at the true kappa sits too high among its values at
  the draws: only the data-dependent test quantity ``loglik`` catches it.

Example::

    >>> model = latest_half_jax_model()
    >>> model.name, model is latest_half_jax_model()
    ('gamma_exponential[latest half of the distances]', True)
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any


@functools.cache
def latest_half_jax_model() -> Any:
    """The JAX gamma_exponential model with the mask of the earliest floor(n / 2) distances set
    to 0 before its sufficient statistics are taken: likelihood kappa^m exp(-kappa S_m) of the
    latest m = ceil(n / 2) distances (cached: one object, so one compiled program)."""
    import jax.numpy as jnp

    from reference_models.jax_models import build
    from validation.scenarios import GammaPrior

    prior = GammaPrior()
    model = build("gamma_exponential", prior_alpha=prior.alpha, prior_beta=prior.beta)

    def summarise(data):
        mask = data["distances_mask"]
        first_kept = jnp.floor(jnp.sum(mask) / 2.0)
        latest = mask * (jnp.arange(mask.shape[0]) >= first_kept)
        return model.summarise({**data, "distances_mask": latest})

    return dataclasses.replace(
        model, name=model.name + "[latest half of the distances]", summarise=summarise
    )
