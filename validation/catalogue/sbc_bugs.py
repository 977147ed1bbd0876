"""Known-bad candidates caught by the calibration checks of :mod:`validation.calibration`
added with them: mis-scaled diffusion sds of the ``"jumps"`` family, ``(returns) -> JumpFit``.

Each runs the production classifier and then evaluates P(jump | r) with its pi and sigma_j
but a sigma_d from a plausible wrong scale estimate, so P(jump) is a Bayes probability of the
wrong mixture: exactly what a calibration check against the simulated labels must see.
"""

from __future__ import annotations

import math

import numpy as np

from validation.candidates.jumps import soft_jumps
from validation.catalogue.jump_bugs import mixture_jump_probability
from validation.registry import JumpFit


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
