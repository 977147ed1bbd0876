"""Reference-model access for the MCMC agreement checks: build once, fit deterministically.

Building (and compiling) a PyMC reference model is the expensive part, so each model is built
once per process, keyed by its build arguments. A fit is a deterministic function of (model,
data, seed, settings); the checks derive the data and the MCMC seed from their own seed, so
fits are also memoised per (check, seed): running the same seeded check on the correct
candidate and then on a known-bad one samples only once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from validation.agreement.reference_fits import reference_model

__all__ = ["draws_of", "mcmc_seed", "reference_model"]

_MCMC_SEED_TAG = 0x6D636D63  # "mcmc"


def mcmc_seed(check_seed: int) -> int:
    """The sampler seed for a check run with ``check_seed`` (an independent stream)."""
    return int(np.random.SeedSequence([check_seed, _MCMC_SEED_TAG]).generate_state(1)[0])


def draws_of(fit_result: Any, var: str, index: int | None = None) -> np.ndarray:
    """Posterior draws of ``var`` (element ``index`` of a vector variable), shaped (chain, draw)."""
    values = np.asarray(fit_result.idata.posterior[var].values, dtype=float)
    if index is not None:
        values = values[..., index]
    if values.ndim != 2:
        raise ValueError(f"{var} draws have shape {values.shape}; pass an index for vectors")
    return values
