"""PyMC's NUTS on the model's PyMC graph.

The model's log-density and gradient are compiled once per ``ReferenceModel``
(:meth:`~reference_models.base.ReferenceModel.compiled_pymc`) and a fresh ``pm.NUTS`` step
(fresh step size and mass-matrix adaptation) is made for every fit, so no tuning state leaks
between fits; chains start from a uniform(-1, 1) jitter of the support point in the transformed
space with a diagonal mass matrix adapted from unit variance (PyMC's ``jitter+adapt_diag``).
"""

from __future__ import annotations

import hashlib
import io
import weakref
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import pymc as pm
import pytensor
from pymc.blocking import DictToArrayBijection
from pymc.exceptions import SamplingError
from pymc.step_methods.hmc.quadpotential import QuadPotentialDiagAdapt

from reference_models.backends.base import Backend
from reference_models.base import CompiledPyMC, ReferenceModel

if TYPE_CHECKING:
    from reference_models.settings import SamplerSettings

_JITTER_RETRIES = 10
_fingerprints: weakref.WeakKeyDictionary[ReferenceModel, str] = weakref.WeakKeyDictionary()


def graph_fingerprint(reference_model: ReferenceModel) -> str:
    """SHA-256 of the typed ``debugprint`` of the model's log-density graph (cached per model)."""
    if reference_model not in _fingerprints:
        buffer = io.StringIO()
        pytensor.printing.debugprint(reference_model.model.logp(), file=buffer, print_type=True)
        _fingerprints[reference_model] = hashlib.sha256(buffer.getvalue().encode()).hexdigest()
    return _fingerprints[reference_model]


class PyMCBackend(Backend):
    name = "pymc"

    def compile(self, reference_model: ReferenceModel) -> CompiledPyMC:
        return reference_model.compiled_pymc()

    def fingerprint(self, reference_model: ReferenceModel) -> str:
        return graph_fingerprint(reference_model)

    def sample(self, reference_model, compiled, values, settings, seed, progressbar):
        del values  # already written into the model's pm.Data by ReferenceModel.set_data
        return _sample_pymc(reference_model.model, compiled, settings, seed, progressbar)


BACKEND = PyMCBackend()


def _jittered_starts(compiled: CompiledPyMC, seed: int, chains: int) -> list[dict]:
    """One start per chain with finite log density, each from its own spawned seed."""
    names = [v.name for v in compiled.value_vars]
    starts = []
    for chain_seq in np.random.SeedSequence(seed).spawn(chains):
        for attempt_seq in chain_seq.spawn(_JITTER_RETRIES):
            point = compiled.initial_point(attempt_seq.generate_state(1)[0])
            point = {n: point[n] for n in names}
            logp, _ = compiled.logp_dlogp([DictToArrayBijection.map(point).data], extra_vars={})
            if np.isfinite(logp):
                starts.append(point)
                break
        else:
            raise SamplingError(f"no finite log density in {_JITTER_RETRIES} jittered starts")
    return starts


def _sample_pymc(
    model: pm.Model,
    compiled: CompiledPyMC,
    settings: SamplerSettings,
    seed: int,
    progressbar: bool,
) -> az.InferenceData:
    starts = _jittered_starts(compiled, seed, settings.chains)
    raveled = np.array([DictToArrayBijection.map(p).data for p in starts])
    potential = QuadPotentialDiagAdapt(
        raveled.shape[1], raveled.mean(axis=0), np.ones(raveled.shape[1]), 10, rng=seed
    )
    step = pm.NUTS(
        compiled.value_vars,
        model=model,
        logp_dlogp_func=compiled.logp_dlogp,
        potential=potential,
        target_accept=settings.target_accept,
        initial_point=starts[0],
        rng=seed,
    )
    return pm.sample(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=settings.cores,
        step=step,
        initvals=starts,
        random_seed=seed,
        progressbar=progressbar,
        quiet=not progressbar,
        compute_convergence_checks=False,
        model=model,
    )
