"""The protocol every MCMC backend implements: compile, sample, diagnostics.

``compile(model)`` does the one-time work for a :class:`~reference_models.base.ReferenceModel`
(cached per model, reused for every data set); ``sample(compiled, values, ...)`` draws from
the posterior given validated data and returns an ``arviz.InferenceData`` whose ``posterior``
holds the model's variables (chain, draw, ...) and whose ``sample_stats`` holds ``diverging``;
``diagnostics`` turns it into R-hat, ESS, divergences and the gate's verdict (shared ArviZ
implementation, :func:`reference_models.diagnostics.diagnose`). ``packages`` are the packages
whose versions a cached fit depends on beyond numpy/pymc/pytensor/arviz; ``fingerprint``
identifies the log density the backend samples (for the fit cache).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import arviz as az
import numpy as np

from reference_models.diagnostics import ConvergenceGate, Diagnostics, diagnose

if TYPE_CHECKING:
    from reference_models.base import ReferenceModel
    from reference_models.settings import SamplerSettings


class Backend(ABC):
    """One MCMC backend (see the module docstring)."""

    name: str
    packages: tuple[str, ...] = ()

    @abstractmethod
    def compile(self, reference_model: ReferenceModel) -> Any:
        """One-time work for ``reference_model``, cached on it; returns what ``sample`` needs."""

    @abstractmethod
    def sample(
        self,
        reference_model: ReferenceModel,
        compiled: Any,
        values: Mapping[str, np.ndarray],
        settings: SamplerSettings,
        seed: int,
        progressbar: bool,
    ) -> az.InferenceData:
        """Posterior draws for the validated data ``values`` (a deterministic function of them,
        ``settings`` and ``seed``)."""

    @abstractmethod
    def fingerprint(self, reference_model: ReferenceModel) -> str:
        """SHA-256 identifying the log density this backend samples for the model."""

    def diagnostics(
        self, idata: az.InferenceData, gate: ConvergenceGate, *, sampling_seconds: float
    ) -> Diagnostics:
        """R-hat, bulk/tail ESS, divergences and the gate's verdict (ArviZ)."""
        return diagnose(idata, gate, sampling_seconds=sampling_seconds, backend=self.name)
