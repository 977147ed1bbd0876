"""One sampling entry point for every reference model, with ArviZ diagnostics and a gate.

``fit`` writes the data into an already-built :class:`~reference_models.base.ReferenceModel`,
samples with NUTS and returns the ``arviz.InferenceData`` together with its diagnostics:

- R-hat (rank-normalised split R-hat, ``az.rhat``), the maximum over each variable's elements;
- bulk and tail ESS (``az.ess(method="bulk" | "tail")``), the minimum over each variable's
  elements;
- the number of divergent transitions after tuning (``sample_stats.diverging``).

A :class:`ConvergenceGate` turns these into ``usable`` plus the reasons when it is not; a check
built on an unusable fit is inconclusive, never passed.

Backends. ``"pymc"``: PyMC's NUTS with the model's log-density and gradient compiled once per
``ReferenceModel`` and a fresh ``pm.NUTS`` step (fresh step size and mass-matrix adaptation) for
every fit, so no tuning state leaks between fits; chains start from a uniform(-1, 1) jitter of
the support point in the transformed space with a diagonal mass matrix adapted from unit
variance (PyMC's ``jitter+adapt_diag``). ``"nutpie"``: ``nutpie.compile_pymc_model`` once, then
``with_data`` per fit. ``"auto"``: nutpie when it is importable, else PyMC.

Chains run sequentially by default (``cores=1``): on a 2-core machine PyMC's multiprocess
sampling measured 2.4x slower for 2 chains x 2000 iterations of the conjugate model and 2.8x
slower for 2 x 11000 (process start-up and per-draw inter-process traffic outweigh the second
core), and results are identical either way.

Every fit is a deterministic function of (model, data, seed, settings).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import arviz as az
import numpy as np
import pymc as pm
from pymc.blocking import DictToArrayBijection
from pymc.exceptions import SamplingError
from pymc.step_methods.hmc.quadpotential import QuadPotentialDiagAdapt
from pymc.util import is_transformed_name

from reference_models.base import CompiledPyMC, ReferenceModel

BACKENDS = ("auto", "pymc", "nutpie")
_JITTER_RETRIES = 10


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings; ``draws`` and ``tune`` are per chain, ``cores`` = chains run at once."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    backend: str = "auto"
    cores: int = 1

    def __post_init__(self) -> None:
        if self.draws < 1:
            raise ValueError(f"draws={self.draws}: must be >= 1")
        if self.tune < 0:
            raise ValueError(f"tune={self.tune}: must be >= 0")
        if self.chains < 1:
            raise ValueError(f"chains={self.chains}: must be >= 1")
        if self.cores < 1:
            raise ValueError(f"cores={self.cores}: must be >= 1")
        if not 0.0 < self.target_accept < 1.0:
            raise ValueError(f"target_accept={self.target_accept}: must lie in (0, 1)")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend={self.backend!r}: must be one of {BACKENDS}")


@dataclass(frozen=True)
class ConvergenceGate:
    """Thresholds a fit must meet to be usable as ground truth."""

    max_rhat: float = 1.01
    min_ess_bulk: float = 400
    min_ess_tail: float = 400
    max_divergences: int = 0

    def reasons(
        self,
        rhat: Mapping[str, float],
        ess_bulk: Mapping[str, float],
        ess_tail: Mapping[str, float],
        divergences: int,
    ) -> list[str]:
        """Why a fit with these diagnostics fails the gate (empty when it passes).

        A NaN statistic fails (e.g. a variable that never moved).
        """
        out = [
            f"rhat[{v}]={x:.4g} > {self.max_rhat}"
            for v, x in rhat.items()
            if not x <= self.max_rhat
        ]
        out += [
            f"ess_bulk[{v}]={x:.4g} < {self.min_ess_bulk}"
            for v, x in ess_bulk.items()
            if not x >= self.min_ess_bulk
        ]
        out += [
            f"ess_tail[{v}]={x:.4g} < {self.min_ess_tail}"
            for v, x in ess_tail.items()
            if not x >= self.min_ess_tail
        ]
        if divergences > self.max_divergences:
            out.append(f"divergences={divergences} > {self.max_divergences}")
        return out


@dataclass
class Diagnostics:
    """Convergence diagnostics of one fit; ``sampling_seconds`` excludes one-time compilation."""

    rhat: dict[str, float]
    ess_bulk: dict[str, float]
    ess_tail: dict[str, float]
    divergences: int
    sampling_seconds: float
    backend: str
    usable: bool
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready copy (plain dicts, lists, floats and strings)."""
        return asdict(self)


@dataclass
class FitResult:
    idata: az.InferenceData
    diagnostics: Diagnostics
    seed: int
    settings: SamplerSettings


def resolve_backend(backend: str) -> str:
    """``"auto"`` -> ``"nutpie"`` if importable else ``"pymc"``; ``"nutpie"`` must be importable."""
    available = importlib.util.find_spec("nutpie") is not None
    if backend == "auto":
        return "nutpie" if available else "pymc"
    if backend == "nutpie" and not available:
        raise ImportError(
            "backend='nutpie' needs nutpie: pip install 'kappa-validation-suite[nutpie]'"
        )
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}: must be one of {BACKENDS}")
    return backend


def diagnose(
    idata: az.InferenceData,
    gate: ConvergenceGate,
    *,
    sampling_seconds: float,
    backend: str,
) -> Diagnostics:
    """R-hat, bulk/tail ESS per posterior variable, divergences, and the gate's verdict."""
    posterior = idata.posterior
    rhat = _reduce(az.rhat(posterior), np.max)
    ess_bulk = _reduce(az.ess(posterior, method="bulk"), np.min)
    ess_tail = _reduce(az.ess(posterior, method="tail"), np.min)
    divergences = int(idata.sample_stats["diverging"].values.sum())
    reasons = gate.reasons(rhat, ess_bulk, ess_tail, divergences)
    return Diagnostics(
        rhat=rhat,
        ess_bulk=ess_bulk,
        ess_tail=ess_tail,
        divergences=divergences,
        sampling_seconds=float(sampling_seconds),
        backend=backend,
        usable=not reasons,
        reasons=reasons,
    )


def fit(
    reference_model: ReferenceModel,
    data: Mapping[str, np.ndarray],
    *,
    seed: int,
    settings: SamplerSettings = SamplerSettings(),
    gate: ConvergenceGate = ConvergenceGate(),
    progressbar: bool = False,
) -> FitResult:
    """Set ``data`` into the compiled model, sample, diagnose and gate.

    Raises ``ReferenceDataError`` (a ValueError) on invalid data, before the model is touched.
    """
    backend = resolve_backend(settings.backend)
    values = reference_model.set_data(data)
    if backend == "nutpie":
        compiled = reference_model.compiled_nutpie()
        start = time.perf_counter()
        idata = _sample_nutpie(compiled, values, settings, seed, progressbar)
    else:
        compiled = reference_model.compiled_pymc()
        start = time.perf_counter()
        idata = _sample_pymc(reference_model.model, compiled, settings, seed, progressbar)
    seconds = time.perf_counter() - start
    diagnostics = diagnose(idata, gate, sampling_seconds=seconds, backend=backend)
    return FitResult(idata=idata, diagnostics=diagnostics, seed=seed, settings=settings)


def _reduce(dataset, how) -> dict[str, float]:
    return {str(name): float(how(da.values)) for name, da in dataset.data_vars.items()}


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


def _sample_nutpie(compiled, values, settings: SamplerSettings, seed: int, progressbar: bool):
    import nutpie

    idata = nutpie.sample(
        compiled.with_data(**values),
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=settings.cores,
        seed=seed,
        target_accept=settings.target_accept,
        save_warmup=False,
        progress_bar=progressbar,
    )
    # nutpie also stores the transformed coordinates (e.g. kappa_log__); keep PyMC's variables
    transformed = [str(v) for v in idata.posterior.data_vars if is_transformed_name(str(v))]
    idata.posterior = idata.posterior.drop_vars(transformed)
    return idata
