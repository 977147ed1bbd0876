"""How checks, candidates and known bugs fit together.

A *candidate* is a function that turns one scenario data set into the online output a check
inspects (a posterior, probabilities, an EWMA path...). The correct candidates wrap the
production estimators of ``online``; the known-bug catalogue supplies wrong ones with the same
signature. A *check* runs one seeded scenario through a candidate and returns a
:class:`~validation.results.CheckResult`, so the same check is both the quick suite's gate on
the correct estimators and the detector of each catalogue entry.

Candidate signatures per family (data classes from :mod:`validation.scenarios`):

- ``"kappa"``: ``(KappaData, GammaPrior) -> PosteriorLike`` (posterior of kappa).
- ``"hierarchical"``: ``(HierarchicalData, kappa_market: float) -> PosteriorLike`` (posterior
  of kappa_own given the market kappa value the estimator is told).
- ``"jumps"``: ``(returns: np.ndarray) -> JumpFit``.
- ``"ewma"``: ``(IrregularSeries, half_life_ticks: float, time_half_life_ms: float) ->
  np.ndarray`` (the estimate after each observation).
- ``"covariance"``: ``(ParameterPath, half_life_ticks: float) -> CovariancePath``.
- ``"intensity"``: ``(durations_ms: np.ndarray, half_life_buckets: float) -> np.ndarray``
  (arrival intensity in buckets per second after each inter-bucket duration; integer ms in).
- ``"stochastic_vol"``: ``(returns: np.ndarray, config: StochasticVolConfig) -> SvFit``
  (log-variance AR(1) estimates after streaming the per-bucket log returns).
- ``"unified"``: ``(MarketSession, checkpoints_ms) -> SessionRun`` (the unified estimator fed
  a simulated session event by event; :mod:`validation.market`).
- ``"estimators"``: ``Sequence[online.testing.EstimatorContract]`` (estimators with their
  contracts: how to build one, its events and read-outs, its bulk kernel;
  ``online.testing.CONTRACTS`` covers every public estimator).
- ``"reference"``: checks of the PyMC reference models themselves; the candidate is ``None``
  (the reference itself) or, for the vectorised rank SBC, a function returning the JAX model
  to sample instead (a catalogue bug, :mod:`validation.catalogue.reference_bugs`).

Any importable function with one of these signatures can be checked: ``python -m validation
check NAME --candidate FAMILY=package.module:function`` (or ``audit``), or
:func:`validation.candidates_from_specs` in Python; worked example in ``examples/``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from validation.results import CheckResult, Kind

SUITES = ("quick", "full")  # each suite runs the checks of the ones before it

FAMILIES = (
    "kappa",
    "hierarchical",
    "jumps",
    "ewma",
    "covariance",
    "intensity",
    "stochastic_vol",
    "unified",
    "estimators",
    "reference",
)


class PosteriorLike(Protocol):
    """What a check needs of a univariate posterior (``online.GammaPosterior`` has it)."""

    @property
    def mean(self) -> float: ...
    @property
    def sd(self) -> float: ...
    def cdf(self, x: Any) -> Any: ...
    def ppf(self, q: Any) -> Any: ...
    def interval(self, level: float = 0.95) -> tuple[float, float]: ...


@dataclass(frozen=True)
class JumpFit:
    """A jump classifier's output after streaming a return series.

    ``p_jump[i]`` is P(jump | r_i) under the classifier's *final* parameters (the quantity
    comparable to the MCMC membership probability E[z_i | data]).
    """

    p_jump: np.ndarray
    pi: float
    sigma_d: float
    sigma_j: float


@dataclass(frozen=True)
class SvFit:
    """Log-variance AR(1) estimates (:mod:`online.stochastic_vol`), per volume bucket.

    ``phi`` persistence; ``mu`` long-run log variance (ln of (log return)^2); ``xi`` sd of the
    log-variance shock; ``leverage`` corr(r_t, h_{t+1} - h_t).
    """

    phi: float
    mu: float
    xi: float
    leverage: float


@dataclass(frozen=True)
class CovariancePath:
    """Estimates after each update: cov(kappa, sigma), var(kappa), var(sigma)."""

    cov: np.ndarray
    var_kappa: np.ndarray
    var_sigma: np.ndarray


Candidate = Callable[..., Any]


@dataclass(frozen=True)
class CheckSpec:
    """A named check: ``run(candidate, seed) -> CheckResult`` on one seeded scenario.

    Attributes:
        name: unique dotted name, e.g. ``"sbc.kappa_pit"``.
        family: which candidate family it takes (one of FAMILIES).
        run: the check itself.
        uses_mcmc: True when it fits a PyMC reference model (slow).
        false_alarm_rate: nominal probability of FAIL on a correct candidate.
        description: one line for reports.
        kind: GATE (a failure is an estimator defect) or ADEQUACY (a finding about the
            model); :func:`validation.suite.run_checks` stamps it on each result.
        suite: the smallest audit suite that runs it: ``"quick"`` (then ``"full"`` runs it
            too) or ``"full"`` (checks that repeat a quick check's question at a higher cost,
            e.g. the serial PyMC path of a rank SBC the quick suite runs vectorised).
    """

    name: str
    family: str
    run: Callable[[Candidate, int], CheckResult]
    uses_mcmc: bool
    false_alarm_rate: float
    description: str
    kind: Kind = Kind.GATE
    suite: str = "quick"

    def __post_init__(self) -> None:
        if self.suite not in SUITES:
            raise ValueError(f"suite={self.suite!r}: must be one of {SUITES}")


def check_seed(base_seed: int, name: str) -> int:
    """A per-check seed: independent streams for different checks under one base seed.

    ``SeedSequence([base_seed, crc32(name)])``'s first 32-bit word, so a report is
    reproducible from its base seed, e.g. ``check_seed(0, "sbc.kappa_pit")``.
    """
    seq = np.random.SeedSequence([base_seed, zlib.crc32(name.encode())])
    return int(seq.generate_state(1)[0])
