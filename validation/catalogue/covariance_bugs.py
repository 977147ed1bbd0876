"""Known-bad candidates of the ``"covariance"`` family:
``(ParameterPath, half_life_ticks) -> CovariancePath``.

The correct candidate equals np.cov(kappa, sigma, aweights=d^(n-i), bias=True) after every
update, d = 2^(-1/h).

:func:`design_covariance` is the design document's ``ParameterCovariance`` as written; it never
existed in ``online/`` (the production ``online.covariance.ParameterCovariance`` uses West's
weighted update, and ``EstimatorVersion.legacy_v1()`` has no covariance at all), so it is
implemented here.
"""

from __future__ import annotations

import numpy as np

from online.ewma import tick_alpha
from validation.families import CovariancePath
from validation.scenarios import ParameterPath


def design_covariance(path: ParameterPath, half_life_ticks: float) -> CovariancePath:
    """Design V2 seed ``ParameterCovariance`` as written: EWMAs of k, s, k^2, s^2, k s, all
    starting at 0, each m <- alpha x + (1 - alpha) m with alpha = 1 - 2^(-1/h); then
    cov = E[k s] - E[k] E[s], var_k = E[k^2] - E[k]^2, var_s = E[s^2] - E[s]^2.

    The zero start biases every moment by the factor 1 - (1 - alpha)^n, and the raw-moment
    differences cancel catastrophically (they can come out negative).
    """
    alpha = tick_alpha(half_life_ticks)
    m_k = m_s = m_kk = m_ss = m_ks = 0.0
    n = len(path.kappa)
    cov, var_k, var_s = np.empty(n), np.empty(n), np.empty(n)
    for i, (k, s) in enumerate(zip(path.kappa, path.sigma, strict=True)):
        k, s = float(k), float(s)
        m_k = alpha * k + (1.0 - alpha) * m_k
        m_s = alpha * s + (1.0 - alpha) * m_s
        m_kk = alpha * k * k + (1.0 - alpha) * m_kk
        m_ss = alpha * s * s + (1.0 - alpha) * m_ss
        m_ks = alpha * k * s + (1.0 - alpha) * m_ks
        cov[i] = m_ks - m_k * m_s
        var_k[i] = m_kk - m_k * m_k
        var_s[i] = m_ss - m_s * m_s
    return CovariancePath(cov, var_k, var_s)
