"""Simulation-based calibration (SBC) of the kappa posteriors and of the PyMC reference.

Checks (``CHECKS``):

- ``"sbc.kappa_pit"`` (family kappa): exact-CDF PIT of the conjugate kappa posterior.
- ``"sbc.hierarchical_pinned_pit"`` (hierarchical): exact PIT of kappa_own, market kappa known.
- ``"sbc.hierarchical_plugin_coverage"`` (hierarchical): coverage of kappa_own intervals when
  the market kappa is a plug-in estimate, against the exact full-Bayes posterior (quadrature).
- ``"sbc.reference_gamma_exponential_ranks"`` (reference, MCMC): rank SBC of the PyMC model.
- ``"sbc.reference_gamma_exponential_ranks_jax"`` (reference, MCMC): the same rank SBC of the
  JAX implementation, all replications x chains in one ``jax.vmap`` program.
- ``"sbc.reference_jump_mixture_ranks"`` (reference, MCMC): rank SBC of the PyMC jump
  mixture, ranking pi, sigma_d, sigma_j and the joint mixture log-likelihood
  (:mod:`.sbc_mixture`; 100 NUTS fits, slow).
- ``"sbc.kappa_loglik_pit"`` (kappa): exact-PIT SBC of two data-dependent test quantities,
  the log-likelihood of the simulated fills and the exact log posterior density of the pivot
  kappa (b0 + S) (:mod:`.loglik_pit`).
- ``"sbc.jump_reliability"`` (jumps): CORP reliability of P(jump) against simulated jump
  labels, consistency-resampling test (:mod:`.sbc_jumps`, :mod:`.binary`).

Primitives: :mod:`.pit` (PIT, thinned ranks, per-replication moments), :mod:`.quantities`
(test quantities of the rank SBC), :mod:`.uniformity` (ECDF simultaneous band and
chi-square), :mod:`.coverage` (interval coverage with binomial bands), :mod:`.severity` (the
smallest miscalibration each check detects, stored table),
:mod:`.hierarchical_reference` (the quadrature posterior). Importing this package does not
import PyMC; the MCMC check imports it when run.
"""

from __future__ import annotations

from validation.calibration.loglik_pit import NAME as KAPPA_LOGLIK_PIT
from validation.calibration.loglik_pit import run_kappa_loglik_pit
from validation.calibration.sbc_exact import (
    HIERARCHICAL_PINNED_PIT,
    KAPPA_PIT,
    ExactSbcSettings,
    run_hierarchical_pinned_pit,
    run_kappa_pit,
)
from validation.calibration.sbc_jumps import NAME as JUMP_RELIABILITY
from validation.calibration.sbc_jumps import JumpReliabilitySettings, run_jump_reliability
from validation.calibration.sbc_mixture import NAME as JUMP_MIXTURE_RANKS
from validation.calibration.sbc_mixture import MixtureRankSettings, run_mixture_ranks
from validation.calibration.sbc_plugin import (
    HIERARCHICAL_PLUGIN_COVERAGE,
    PluginSbcSettings,
    run_hierarchical_plugin_coverage,
)
from validation.calibration.sbc_reference import (
    REFERENCE_GAMMA_EXPONENTIAL_RANKS,
    RankSbcSettings,
    run_reference_ranks,
)
from validation.calibration.sbc_vectorised import (
    VECTORISED_RANKS,
    VECTORISED_SETTINGS,
    run_vectorised_ranks,
)
from validation.families import CheckSpec

CHECKS: list[CheckSpec] = [
    CheckSpec(
        name=KAPPA_PIT,
        family="kappa",
        run=run_kappa_pit,
        uses_mcmc=False,
        false_alarm_rate=ExactSbcSettings().alpha,
        description="SBC: exact PIT and interval coverage of the kappa posterior, "
        "kappa ~ Gamma(5, 5/2500), 1..500 fills",
    ),
    CheckSpec(
        name=HIERARCHICAL_PINNED_PIT,
        family="hierarchical",
        run=run_hierarchical_pinned_pit,
        uses_mcmc=False,
        false_alarm_rate=ExactSbcSettings().alpha,
        description="SBC: exact PIT and coverage of kappa_own given the true kappa_market",
    ),
    CheckSpec(
        name=HIERARCHICAL_PLUGIN_COVERAGE,
        family="hierarchical",
        run=run_hierarchical_plugin_coverage,
        uses_mcmc=False,
        false_alarm_rate=PluginSbcSettings().alpha,
        description="SBC: 95% coverage of kappa_own with a plug-in kappa_market, within "
        "budget, vs the exact full-Bayes posterior",
    ),
    CheckSpec(
        name=REFERENCE_GAMMA_EXPONENTIAL_RANKS,
        family="reference",
        run=run_reference_ranks,
        uses_mcmc=True,
        false_alarm_rate=RankSbcSettings().alpha,
        description="SBC: ranks of kappa and of the log-likelihood of the data among "
        "ESS-thinned NUTS draws of the PyMC gamma_exponential model (Bonferroni)",
        suite="full",  # the quick suite runs the same rank SBC vectorised in JAX
    ),
    CheckSpec(
        name=VECTORISED_RANKS,
        family="reference",
        run=run_vectorised_ranks,
        uses_mcmc=True,
        false_alarm_rate=VECTORISED_SETTINGS.alpha,
        description="SBC: the same ranks for the JAX gamma_exponential model, "
        f"{VECTORISED_SETTINGS.n_replications} replications x 2 chains in one jax.vmap",
    ),
    CheckSpec(
        name=JUMP_MIXTURE_RANKS,
        family="reference",
        run=run_mixture_ranks,
        uses_mcmc=True,
        false_alarm_rate=MixtureRankSettings().alpha,
        description="SBC: ranks of pi, sigma_d, sigma_j and the joint mixture log-likelihood "
        "among ESS-thinned NUTS draws of the PyMC jump mixture, "
        f"{MixtureRankSettings().n_replications} x {MixtureRankSettings().n_returns} returns",
        suite="full",  # 100 NUTS fits of the mixture: minutes, not seconds
    ),
    CheckSpec(
        name=KAPPA_LOGLIK_PIT,
        family="kappa",
        run=run_kappa_loglik_pit,
        uses_mcmc=False,
        false_alarm_rate=ExactSbcSettings().alpha,
        description="SBC: PITs of the log-likelihood of the simulated fills and of the exact "
        "log posterior density of the pivot kappa (b0 + S) at the true kappa within their "
        "posterior distributions (data-dependent test quantities)",
    ),
    CheckSpec(
        name=JUMP_RELIABILITY,
        family="jumps",
        run=run_jump_reliability,
        uses_mcmc=False,
        false_alarm_rate=JumpReliabilitySettings().alpha,
        description="SBC: CORP reliability of P(jump) against simulated jump labels, "
        "consistency-resampling test of the Brier miscalibration component",
    ),
]

__all__ = [
    "CHECKS",
    "HIERARCHICAL_PINNED_PIT",
    "HIERARCHICAL_PLUGIN_COVERAGE",
    "JUMP_MIXTURE_RANKS",
    "JUMP_RELIABILITY",
    "KAPPA_LOGLIK_PIT",
    "KAPPA_PIT",
    "REFERENCE_GAMMA_EXPONENTIAL_RANKS",
    "VECTORISED_RANKS",
    "ExactSbcSettings",
    "JumpReliabilitySettings",
    "MixtureRankSettings",
    "PluginSbcSettings",
    "RankSbcSettings",
    "run_hierarchical_pinned_pit",
    "run_hierarchical_plugin_coverage",
    "run_jump_reliability",
    "run_kappa_loglik_pit",
    "run_kappa_pit",
    "run_mixture_ranks",
    "run_reference_ranks",
    "run_vectorised_ranks",
]
