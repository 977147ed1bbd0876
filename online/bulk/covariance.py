"""Bulk path of :class:`online.covariance.ParameterCovariance`.

Element ``i`` of every output is the streaming estimator's state after its ``i``-th update.
Weights ``w_i = d**(n - i)``, ``d = 2**(-1/half_life_ticks)``; West's weighted update (see
:mod:`online.covariance`) run verbatim in a numba loop::

    W <- d W + 1;  f = d W_old / W
    mean += (x - mean_old) / W
    C_xy <- d C_xy + f dx dy  (likewise C_xx, C_yy);  cov = C / W

Variances and covariance are biased (``np.cov(aweights=w, bias=True)``). ``correlation`` is
``C_xy / (sqrt C_xx sqrt C_yy)`` clipped to [-1, 1], and NaN where the streaming estimator
returns ``None``: before ``min_observations`` updates, or when a variance is zero.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np

from online.bulk._arrays import non_negative_array, overflow, positive_array, same_length
from online.bulk._restore import restore
from online.covariance import ParameterCovariance, ParameterCovarianceConfig


class CovariancePath(NamedTuple):
    """Per-update weighted moments of (kappa, sigma); units of kappa, sigma and products."""

    mean_kappa: np.ndarray
    mean_sigma: np.ndarray
    var_kappa: np.ndarray
    var_sigma: np.ndarray
    covariance: np.ndarray
    correlation: np.ndarray
    weight_sum: np.ndarray


@numba.njit(cache=True)
def _kernel(x, y, d, w, mx, my, cxx, cyy, cxy, count, min_obs, out):
    for i in range(x.shape[0]):
        w_new = d * w + 1.0
        dx, dy = x[i] - mx, y[i] - my
        f = d * w / w_new
        mx, my = mx + dx / w_new, my + dy / w_new
        cxx = d * cxx + f * dx * dx
        cyy = d * cyy + f * dy * dy
        cxy = d * cxy + f * dx * dy
        if not (np.isfinite(cxx) and np.isfinite(cyy) and np.isfinite(cxy)):
            return i
        w = w_new
        count += 1
        out[0, i], out[1, i] = mx, my
        out[2, i], out[3, i], out[4, i] = cxx / w, cyy / w, cxy / w
        out[6, i] = w
        denom = np.sqrt(cxx) * np.sqrt(cyy)
        if count < min_obs or denom == 0.0:
            out[5, i] = np.nan
        else:
            out[5, i] = min(1.0, max(-1.0, cxy / denom))
    return -1


def parameter_covariance(
    kappa: object,
    sigma: object,
    config: ParameterCovarianceConfig | None = None,
    state: dict[str, Any] | None = None,
) -> CovariancePath:
    """Per-update exponentially weighted (kappa, sigma) moments; kappa > 0, sigma >= 0.

    Args:
        config: production defaults (half-life 50 ticks, correlation after 20) if None.
        state: optional ``ParameterCovariance.state_dict()`` to continue from (same config).

    Raises:
        InvalidInputError: bad element (field ``kappa[i]`` / ``sigma[i]``), unequal lengths,
            overflow, or a state with a different config.
    """
    est = restore(ParameterCovariance, state, (config,))
    x = positive_array("kappa", kappa)
    y = non_negative_array("sigma", sigma)
    same_length("sigma", y, len(x))
    s = est.state_dict()["state"]
    cfg = est.config
    out = np.empty((7, len(x)))
    bad = _kernel(
        x, y, 2.0 ** (-1.0 / cfg.half_life_ticks), float(s["weight_sum"]),
        float(s["mean_kappa"]), float(s["mean_sigma"]), float(s["c_kk"]), float(s["c_ss"]),
        float(s["c_ks"]), int(s["observation_count"]), cfg.min_observations, out,
    )  # fmt: skip
    if bad >= 0:
        raise overflow("kappa", x, bad)
    return CovariancePath(*out)
