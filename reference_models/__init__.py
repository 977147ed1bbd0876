"""PyMC reference models that define ground truth, and the one sampling entry point.

Models (each ``build(...)`` returns a :class:`~reference_models.base.ReferenceModel` whose data
enter through ``pm.Data``, so one compiled model serves many data sets):
``gamma_exponential``, ``hierarchical_kappa``, ``jump_mixture``. Sampling, diagnostics and the
convergence gate: :mod:`reference_models.sampling`. Agreement of draws with an exact
distribution: :mod:`reference_models.exact_check`. One compiled model per process:
:func:`build_once`. Fits cached on disk by a content hash: :func:`cached_fit`.
"""

from reference_models.base import DataField, ReferenceDataError, ReferenceModel
from reference_models.cache import build_once
from reference_models.fit_cache import CachedFitResult, CacheInfo, cached_fit, fit_key
from reference_models.sampling import (
    ConvergenceGate,
    Diagnostics,
    FitResult,
    SamplerSettings,
    diagnose,
    fit,
)

__all__ = [
    "CacheInfo",
    "CachedFitResult",
    "ConvergenceGate",
    "DataField",
    "Diagnostics",
    "FitResult",
    "ReferenceDataError",
    "ReferenceModel",
    "SamplerSettings",
    "build_once",
    "cached_fit",
    "diagnose",
    "fit",
    "fit_key",
]
