"""Bulk path of :class:`online.soft_jump.SoftJumpClassifier` (sequential online EM).

Each step depends on the previous parameters, so this is the streaming update run verbatim in
a numba loop (see :mod:`online.soft_jump` for the model). For return ``r_i`` (log return,
dimensionless) under the parameters before it::

    L = log(pi/(1-pi)) + log(sigma_d/sigma_j) + (r**2/2)(1/sigma_d**2 - 1/sigma_j**2)
    p_i = expit(L)
    N_j <- clamp((1-g) N_j + g p, pi_min, pi_max)
    S_d <- max((1-g) S_d + g (1-p) r**2, (1-N_j) sigma_floor**2)
    S_j <- max((1-g) S_j + g p r**2, N_j min_jump_ratio**2 S_d/(1-N_j))
    toxicity: W <- 2**(-1/h) W + 1, tox += (p - tox)/W

Outputs after update ``i``: ``p_jump[i]`` (P(jump | r_i) under the old parameters, what
``update`` returns), ``pi = N_j``, ``sigma_diffusion = sqrt(S_d/(1-N_j))``,
``sigma_jump = sqrt(S_j/N_j)`` (log-return units), and ``toxicity`` (NaN where the streaming
``toxicity_score()`` is ``None``, i.e. before ``toxicity_min_observations`` updates).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np

from online.bulk._arrays import float_array, overflow
from online.bulk._restore import restore
from online.soft_jump import SoftJumpClassifier, SoftJumpConfig


class SoftJumpPath(NamedTuple):
    """Per-update outputs of :func:`soft_jump_path`."""

    p_jump: np.ndarray
    pi: np.ndarray
    sigma_diffusion: np.ndarray
    sigma_jump: np.ndarray
    toxicity: np.ndarray


@numba.njit(cache=True)
def _expit(log_odds):
    if log_odds < -700.0:
        return math.exp(log_odds)
    return 1.0 / (1.0 + math.exp(-log_odds))


@numba.njit(cache=True)
def _kernel(r, params, n, s_d, s_j, tox, tox_w, count, out):
    g, pi_min, pi_max, floor2, ratio2, tox_keep, min_obs = params
    for i in range(r.shape[0]):
        x = r[i]
        var_d = s_d / (1.0 - n)
        q = var_d * n / s_j
        z = x / math.sqrt(var_d)
        log_ratio = 0.5 * (math.log(var_d * n) - math.log(s_j))
        p = _expit(math.log(n / (1.0 - n)) + log_ratio + 0.5 * z * z * (1.0 - q))
        r2 = x * x
        n = min(pi_max, max(pi_min, (1.0 - g) * n + g * p))
        s_d = max((1.0 - g) * s_d + g * (1.0 - p) * r2, (1.0 - n) * floor2)
        var_d = s_d / (1.0 - n)
        s_j = max((1.0 - g) * s_j + g * p * r2, n * ratio2 * var_d)
        if not (math.isfinite(s_d) and math.isfinite(s_j)):
            return i
        tox_w = tox_keep * tox_w + 1.0
        tox += (p - tox) / tox_w
        count += 1
        out[0, i] = p
        out[1, i] = n
        out[2, i] = math.sqrt(s_d / (1.0 - n))
        out[3, i] = math.sqrt(s_j / n)
        out[4, i] = tox if count >= min_obs else np.nan
    return -1


def soft_jump_path(
    returns: object,
    config: SoftJumpConfig | None = None,
    initial_sigma_diffusion: float | None = None,
    initial_sigma_jump: float | None = None,
    state: dict[str, Any] | None = None,
) -> SoftJumpPath:
    """Run the online EM over ``returns`` (finite log returns).

    Start either from ``initial_sigma_diffusion`` (and optionally ``initial_sigma_jump``,
    default ``initial_jump_ratio`` times it), exactly as ``SoftJumpClassifier(sigma_d,
    sigma_j, config)``, or from ``state``, a ``SoftJumpClassifier.state_dict()`` with the same
    config (then the initial sigmas are ignored).

    Raises:
        InvalidInputError: non-finite ``returns[i]``, bad initial sigmas (as the streaming
            constructor), ``r**2`` overflow, or a state with a different config.
        TypeError: neither an initial sigma nor a state is given.
    """
    cfg = SoftJumpConfig() if config is None else config
    if state is None and initial_sigma_diffusion is None:
        raise TypeError("give initial_sigma_diffusion or state")
    sd = cfg.sigma_floor if initial_sigma_diffusion is None else initial_sigma_diffusion
    est = restore(SoftJumpClassifier, state, (sd, initial_sigma_jump, cfg))
    r = float_array("returns", returns)
    s = est.state_dict()["state"]
    params = (
        cfg.step, cfg.pi_min, cfg.pi_max, cfg.sigma_floor**2, cfg.min_jump_ratio**2,
        2.0 ** (-1.0 / cfg.toxicity_half_life_ticks), float(cfg.toxicity_min_observations),
    )  # fmt: skip
    out = np.empty((5, len(r)))
    bad = _kernel(
        r, params, float(s["n_jump"]), float(s["s_diffusion"]), float(s["s_jump"]),
        float(s["toxicity"]), float(s["toxicity_weight_sum"]), int(s["observation_count"]), out,
    )  # fmt: skip
    if bad >= 0:
        raise overflow("returns", r, bad)
    return SoftJumpPath(*out)
