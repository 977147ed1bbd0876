"""Bulk kernels: arrays in, arrays out, equal to the streaming estimators' per-update states.

Element ``i`` of every output is the state of the matching :mod:`online` estimator after its
``i``-th update (the tests hold them to 1e-12 relative). Each kernel is the streaming update
run verbatim in a numba loop (``cache=True``: the first call in a fresh environment compiles,
later processes load the cache), so most outputs are bit-identical to the streaming path; the
rolling-window kappa sum is compensated differently and agrees to rounding.
Inputs are validated up front; a bad element raises
:class:`online.errors.InvalidInputError` naming the array and the first bad index.
"""

from online.bulk.covariance import CovariancePath, parameter_covariance
from online.bulk.ewma import (
    EWMAVariancePath,
    HybridEWMAPath,
    ewma_variance,
    hybrid_ewma,
    tick_ewma,
    time_ewma,
)
from online.bulk.kappa import KappaPosteriorPath, conjugate_kappa_posterior
from online.bulk.soft_jump import SoftJumpPath, soft_jump_path

__all__ = [
    "CovariancePath",
    "EWMAVariancePath",
    "HybridEWMAPath",
    "KappaPosteriorPath",
    "SoftJumpPath",
    "conjugate_kappa_posterior",
    "ewma_variance",
    "hybrid_ewma",
    "parameter_covariance",
    "soft_jump_path",
    "tick_ewma",
    "time_ewma",
]
