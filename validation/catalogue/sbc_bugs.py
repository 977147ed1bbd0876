"""Known-bad candidates for the calibration checks that look beyond the parameter PIT.

- ``"kappa"`` family, ``(KappaData, GammaPrior) -> PosteriorLike``: a posterior of only the
  latest half of the fills, exactly calibrated as a parameter posterior (its PIT is uniform),
  caught by the log-likelihood test quantity of ``sbc.kappa_loglik_pit``.
- ``"jumps"`` family, ``(returns) -> JumpFit``: the production classifier's pi and sigma_j
  with a sigma_d from a plausible wrong scale estimate, so P(jump) is the Bayes probability of
  the wrong mixture, caught by ``sbc.jump_reliability`` against the simulated labels.
"""

from __future__ import annotations

import math

import numpy as np

from online.gamma_posterior import GammaPosterior
from validation.candidates.jumps import soft_jumps
from validation.candidates.kappa import conjugate_kappa
from validation.catalogue.jump_bugs import mixture_jump_probability
from validation.families import JumpFit
from validation.scenarios import GammaPrior, KappaData


def latest_half_kappa(data: KappaData, prior: GammaPrior) -> GammaPosterior:
    """The production conjugate posterior of the latest ceil(n / 2) fills only (a window half
    as long as the data it is meant to cover): Gamma(a0 + m, b0 + sum of those m distances)."""
    keep = slice(len(data.distances) // 2, None)
    half = KappaData(data.distances[keep], data.timestamps_ms[keep], data.volumes[keep], data.kappa)
    return conjugate_kappa(half, prior)


def _with_sigma_d(returns: np.ndarray, sigma_d: float) -> JumpFit:
    fit = soft_jumps(returns)
    p = mixture_jump_probability(np.asarray(returns, dtype=float), fit.pi, sigma_d, fit.sigma_j)
    return JumpFit(np.asarray(p, dtype=float), fit.pi, sigma_d, fit.sigma_j)


def total_rms_sigma_d(returns: np.ndarray) -> JumpFit:
    """sigma_d = sqrt(mean r^2) over all returns, jumps included: sqrt((1 - pi) sigma_d^2 +
    pi sigma_j^2), 1.48 sigma_d for pi = 0.05 and sigma_j = 5 sigma_d (2.4 at 10 sigma_d)."""
    r = np.asarray(returns, dtype=float)
    return _with_sigma_d(r, math.sqrt(float(np.mean(r * r))))


def median_abs_sigma_d(returns: np.ndarray) -> JumpFit:
    """sigma_d = median |r| without the MAD-to-sd factor 1.4826: 0.67 sigma_d for normal
    returns (about 0.70 with 5% jumps)."""
    r = np.asarray(returns, dtype=float)
    return _with_sigma_d(r, float(np.median(np.abs(r))))
