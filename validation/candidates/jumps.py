"""Correct candidate of the ``"jumps"`` family: the production SoftJumpClassifier.

Signature (see validation/families.py): ``(returns) -> JumpFit``. Returns are log returns; the
sigmas are standard deviations of log returns.
"""

from __future__ import annotations

import math

import numpy as np

from online.errors import InvalidInputError
from online.soft_jump import SoftJumpClassifier
from validation.families import JumpFit

INITIAL_SCALE_RETURNS = 200
"""How many leading returns set the classifier's initial sigma_diffusion."""
MAD_TO_SD = 1.482602218505602
"""1 / Phi^-1(3/4): median(|r|) * MAD_TO_SD estimates sigma for r ~ N(0, sigma^2)."""


def initial_sigma_diffusion(returns: np.ndarray) -> float:
    """Robust starting sigma_d: ``1.4826 * median(|r_i|)`` over the first 200 returns.

    The median of |r| about zero (the mixture is zero-mean) is consistent for the diffusion
    sigma and barely moved by jumps: with pi = 0.05 and sigma_j = 5 sigma_d it overstates
    sigma_d by about 5%, which the online EM then corrects within ~1/step = 100 returns. If
    more than half of those returns are exactly 0 the median is 0 and the root mean square is
    used instead.

    Raises:
        InvalidInputError: if ``returns`` is empty, non-finite, or all zero.
    """
    head = np.asarray(returns, dtype=float)[:INITIAL_SCALE_RETURNS]
    if head.size == 0 or not np.all(np.isfinite(head)):
        raise InvalidInputError("returns", head, "need at least one return, all finite")
    sigma = MAD_TO_SD * float(np.median(np.abs(head)))
    if sigma == 0.0:
        sigma = math.sqrt(float(np.mean(head * head)))
    if sigma == 0.0:
        raise InvalidInputError("returns", head, "all leading returns are 0: no scale")
    return sigma


def soft_jumps(returns: np.ndarray) -> JumpFit:
    """Stream ``returns`` through a production ``SoftJumpClassifier``; P(jump) at the end.

    The classifier starts at sigma_d = :func:`initial_sigma_diffusion`, sigma_j = 4 sigma_d,
    pi = 0.05 (production defaults), runs one online-EM update per return, and then
    ``p_jump[i] = jump_probability(r_i)`` is evaluated with the FINAL parameters, the quantity
    comparable to a posterior membership probability given all the data.
    """
    r = np.asarray(returns, dtype=float).tolist()
    clf = SoftJumpClassifier(initial_sigma_diffusion(np.asarray(r)))
    for x in r:
        clf.update(x)
    p_jump = np.array([clf.jump_probability(x) for x in r])
    return JumpFit(p_jump, clf.pi, clf.sigma_diffusion, clf.sigma_jump)
