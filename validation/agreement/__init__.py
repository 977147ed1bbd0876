"""Agreement checks (online vs MCMC) and exact reference checks of the online estimators.

Modules: :mod:`.posterior` (posterior-vs-draws machinery), :mod:`.kappa` (kappa and
hierarchical kappa vs PyMC), :mod:`.jumps` (exact jump probability, parameter recovery),
:mod:`.jumps_mcmc` (jump classifier vs the PyMC mixture), :mod:`.exact` (EWMA and covariance
vs explicit formulas), :mod:`.intensity` (volume-clock arrival intensity vs a known rate),
:mod:`.stochastic_vol` (log-variance AR(1) vs batch formulas and a simulated truth),
:mod:`.backends` (JAX vs PyMC reference implementations),
:mod:`.audit` (measured false-alarm rates).
"""

from validation.agreement import (
    backends,
    exact,
    intensity,
    jumps,
    jumps_mcmc,
    kappa,
    stochastic_vol,
)
from validation.families import CheckSpec

CHECKS: list[CheckSpec] = [
    *kappa.CHECKS,
    *jumps_mcmc.CHECKS,
    *jumps.CHECKS,
    *exact.CHECKS,
    *intensity.CHECKS,
    *stochastic_vol.CHECKS,
    *backends.CHECKS,
]

__all__ = ["CHECKS"]
