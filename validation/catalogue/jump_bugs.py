"""Known-bad candidates of the ``"jumps"`` family: ``(returns) -> JumpFit``.

Returns are log returns; sigmas are standard deviations of log returns (not variances).

:func:`binary_three_sigma` classifies the returns with ``online.legacy.BinaryJumpClassifier``,
the V1 class ``EstimatorVersion.legacy_v1()`` runs. :func:`design_soft_jump` is the design
document's classifier as written, which never existed in ``online/`` (the production
``SoftJumpClassifier`` is the online-EM one), so it is implemented here.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from online.legacy import BinaryJumpClassifier, BinaryJumpConfig
from validation.candidates.jumps import initial_sigma_diffusion
from validation.families import JumpFit

THRESHOLD_SIGMAS: float = BinaryJumpConfig().threshold_sigmas
"""The V1 binary classifier's threshold in units of sigma_clean (its default, 3)."""

DESIGN_PI0 = 0.05
"""Initial pi of the design's classifier (production default)."""
DESIGN_PI_ALPHA = 0.01
"""The design's pi_alpha: pi <- 0.01 p + 0.99 pi."""
DESIGN_JUMP_RATIO0 = 4.0
"""Initial sigma_j / sigma_d (production default)."""
DESIGN_JUMP_VAR_ALPHA = 0.1
"""The design's hard-coded EWMA weight of r^2 in the jump variance."""


def bipower_sigma(returns: np.ndarray) -> float:
    """Bipower clean sigma: sqrt((pi/2) * mean(|r_t| |r_{t-1}|)) (the V1 sigma_clean)."""
    a = np.abs(np.asarray(returns, dtype=float))
    return math.sqrt(0.5 * math.pi * float(np.mean(a[1:] * a[:-1])))


def binary_three_sigma(returns: np.ndarray) -> JumpFit:
    """Legacy V1: P(jump | r) = 1 if |r| > 3 sigma_clean else 0 (no probability in between).

    sigma_d = sigma_clean (bipower over the series); each return is classified by
    ``online.legacy.BinaryJumpClassifier(sigma_d)`` (default threshold 3 sigma_d); pi =
    fraction flagged; sigma_j = root mean square of the flagged returns
    (THRESHOLD_SIGMAS * sigma_clean when none is flagged).

    >>> fit = binary_three_sigma(np.array([1e-4, -1e-4, 1e-4, -1e-4, 2e-3]))
    >>> fit.p_jump.tolist(), round(fit.sigma_j, 12)
    ([0.0, 0.0, 0.0, 0.0, 1.0], 0.002)
    """
    r = np.asarray(returns, dtype=float)
    sigma_d = bipower_sigma(r)
    classifier = BinaryJumpClassifier(sigma_d)
    p_jump = np.array([classifier.update(x) for x in r.tolist()])
    flagged = p_jump == 1.0
    sigma_j = (
        math.sqrt(float(np.mean(r[flagged] ** 2))) if flagged.any() else THRESHOLD_SIGMAS * sigma_d
    )
    return JumpFit(p_jump, float(p_jump.mean()), sigma_d, sigma_j)


def mixture_jump_probability(
    r: np.ndarray | float, pi: float, sigma_d: float, sigma_j: float
) -> np.ndarray | float:
    """P(jump | r) = sigmoid(log-odds), the design's log-space softmax of the two components:
    log-odds = ln(pi / (1 - pi)) + ln(sigma_d / sigma_j) + (r^2 / 2) (1/sigma_d^2 - 1/sigma_j^2),
    i.e. ln pi + ln N(r; 0, sigma_j^2) - ln(1 - pi) - ln N(r; 0, sigma_d^2).
    """
    log_odds = (
        math.log(pi / (1.0 - pi))
        + math.log(sigma_d / sigma_j)
        + 0.5 * np.square(r) * (1.0 / sigma_d**2 - 1.0 / sigma_j**2)
    )
    return special.expit(log_odds)


def design_soft_jump(returns: np.ndarray) -> JumpFit:
    """Design V2 seed ``SoftJumpClassifier`` as written. Per return r, with p = P(jump | r):
    pi <- 0.01 p + 0.99 pi; only if p > 0.5: v_j <- 0.1 r^2 + 0.9 v_j, sigma_j = sqrt(v_j);
    sigma_d is never updated. Start: pi = 0.05, sigma_d = the correct candidate's initial
    sigma, sigma_j = 4 sigma_d. pi is not clamped (the design as written; production clamped
    it to [0.001, 0.5]). p_jump is evaluated with the final parameters.
    """
    r = np.asarray(returns, dtype=float)
    sigma_d = initial_sigma_diffusion(r)
    pi = DESIGN_PI0
    jump_var = (DESIGN_JUMP_RATIO0 * sigma_d) ** 2
    sigma_j = math.sqrt(jump_var)
    for x in r:
        p = float(mixture_jump_probability(x, pi, sigma_d, sigma_j))
        pi = DESIGN_PI_ALPHA * p + (1.0 - DESIGN_PI_ALPHA) * pi
        if p > 0.5:
            jump_var = DESIGN_JUMP_VAR_ALPHA * x * x + (1.0 - DESIGN_JUMP_VAR_ALPHA) * jump_var
            sigma_j = math.sqrt(jump_var)
    return JumpFit(mixture_jump_probability(r, pi, sigma_d, sigma_j), pi, sigma_d, sigma_j)
