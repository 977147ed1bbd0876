"""Correct candidate of the ``"covariance"`` family: the production ParameterCovariance.

Signature (see validation/families.py): ``(ParameterPath, half_life_ticks) -> CovariancePath``.
Units: kappa in 1/(fraction of mid), sigma a fraction of the mid; variances and the covariance
are in the squared / product units.
"""

from __future__ import annotations

import numpy as np

from online.covariance import ParameterCovariance, ParameterCovarianceConfig
from validation.families import CovariancePath
from validation.scenarios import ParameterPath


def parameter_covariance(path: ParameterPath, half_life_ticks: float) -> CovariancePath:
    """Stream the (kappa, sigma) pairs of ``path`` through ``ParameterCovariance``.

    Entry k of each output array is the estimate after update k: the exponentially weighted
    (biased) moments with weights ``w_i = d**(k - i)``, ``d = 2**(-1/half_life_ticks)``, from
    the first observation on (the estimator's ``min_observations`` gates only its correlation,
    which this candidate does not report).
    """
    est = ParameterCovariance(ParameterCovarianceConfig(half_life_ticks=half_life_ticks))
    n = len(path.kappa)
    cov, var_k, var_s = np.empty(n), np.empty(n), np.empty(n)
    for k, (kappa, sigma) in enumerate(zip(path.kappa, path.sigma, strict=True)):
        est.update(float(kappa), float(sigma))
        cov[k] = est.covariance()
        var_k[k], var_s[k] = est.variances()
    return CovariancePath(cov=cov, var_kappa=var_k, var_sigma=var_s)
