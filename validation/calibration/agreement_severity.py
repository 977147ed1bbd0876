"""Severity of the MCMC agreement checks and the recovery checks: the smallest distortion of
the online output (or of one implementation's draws) each detects with 80% and 99% power,
by the check's own verdict rule on its own scenario (:mod:`validation.calibration.severity`
for the power curve, the crossing and the command line).

Each seed's undistorted work is done once and reused at every grid magnitude (common seeds):
the reference MCMC fits are memoised per seed by the checks themselves
(``functools.lru_cache`` in :mod:`validation.agreement.kappa`, :mod:`.jumps_mcmc` and
:mod:`.backends`; the JAX fit of :mod:`.backends` here), the candidate's output by
:class:`validation.calibration.severity.OutputCache`. A fit that fails the convergence gate
makes the check INCONCLUSIVE, which counts as not detected (none did: every fit of the
stored rows' seeds, 30000 onwards, passed the gate, checked for each row). Distortions,
chosen to be what each statistic tests:

- ``agreement.kappa_mcmc``, ``agreement.hierarchical_pinned_mcmc`` (MCSE tolerances on mean,
  sd, quantiles and the 95% interval, plus a KS test, of the online Gamma against NUTS
  draws): the online Gamma distorted by :func:`validation.calibration.severity.distort`
  (sd x s with the mean kept, both ways; mean + delta posterior sd with the sd kept);
- ``agreement.jumps_mcmc`` and ``recovery.jump_parameters`` (the log parameters against the
  posterior mean or the truth; ``jumps_mcmc`` also P(jump) per return): one of pi, sigma_d,
  sigma_j of every run x (1 + b), P(jump) recomputed as the Bayes probability under the
  distorted parameters (:func:`scaled_jump_parameter`; what an estimator with that bias would
  report, since ``exact.jump_probability`` holds P(jump) to the Bayes value of its own
  parameters);
- ``agreement.jax_vs_pymc.<model>`` (two-sample MCSE tolerances and KS): the JAX draws of one
  variable distorted about their mean, x' = m + s (x - m), or shifted, x' = x + delta sd
  (:func:`distorted_draws`; m and sd of the pooled JAX draws);
- ``recovery.arrival_intensity`` (z-test of the time-averaged duration ratio): every
  intensity x (1 + b);
- ``recovery.stochastic_vol``: its exactness part (each estimate equal to the batch formulas
  to 1e-8 relative) fails ANY distorted output, so only its recovery part has a severity to
  measure: a bias the batch formulas share (a wrong estimand), phi, xi or leverage x (1 + b),
  or the variance level exp(mu) x (1 + b), judged by the check's band
  (:func:`validation.agreement.stochastic_vol.recovery_fails`) on its own z-scores, with the
  check's estimates, truths and sampling sds of the seed (one check run per seed; the
  distorted z is (estimate' - truth) / sd exactly).

Run (a seed costs one MCMC fit, 0.2-0.5 s with nutpie after the first compile, or the
candidate's runs; a grid point one verdict)::

    python -m validation.calibration.agreement_severity --check agreement.kappa_mcmc \
        --seeds 100 --write

Example (a JAX draw set scaled about its mean and shifted by its sd)::

    >>> x = np.array([[1.0, 2.0, 3.0]])
    >>> distorted_draws(x, "scale > 1", 2.0).tolist(), distorted_draws(x, "shift", 1.0).tolist()
    ([[0.0, 2.0, 4.0]], [[2.0, 3.0, 4.0]])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from validation.agreement import backends
from validation.agreement import intensity as ai
from validation.agreement import jumps as aj
from validation.agreement import jumps_mcmc as jm
from validation.agreement import stochastic_vol as asv
from validation.agreement.kappa import check_hierarchical_pinned_mcmc, check_kappa_mcmc
from validation.calibration import severity as sv
from validation.candidates.intensity import volume_clock_intensity
from validation.candidates.jumps import soft_jumps
from validation.candidates.kappa import conjugate_kappa, hierarchical_kappa
from validation.candidates.stochastic_vol import stochastic_vol_fit
from validation.families import Candidate, JumpFit
from validation.results import CheckResult

Detects = Callable[[str, float, int], bool]
D = sv.Direction


# ------------------------------------------------------------- online posterior vs MCMC
def _posterior_detects(
    check: Callable[[Candidate, int], CheckResult], candidate: Candidate
) -> Detects:
    def detects(direction: str, magnitude: float, seed: int) -> bool:
        kind = sv.distortion_kind(direction)
        return check(sv.distorted_candidate(candidate, kind, magnitude), seed).failed

    return detects


POSTERIOR_DIRECTIONS = (
    D(
        "scale > 1",
        sv.SD_SCALE_UP.distortion,
        (1.0, 1.025, 1.05, 1.075, 1.1, 1.125, 1.15, 1.2, 1.25, 1.3),
    ),
    D(
        "scale < 1",
        sv.SD_SCALE_DOWN.distortion,
        (1.0, 0.975, 0.95, 0.925, 0.9, 0.875, 0.85, 0.8, 0.75, 0.7),
    ),
    D(
        "shift",
        sv.MEAN_SHIFT.distortion,
        (0.0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3),
    ),
)


# ------------------------------------------------------------------------- jump parameters
def scaled_jump_parameter(fit: JumpFit, returns: np.ndarray, name: str, factor: float) -> JumpFit:
    """``fit`` with parameter ``name`` (pi, sigma_d or sigma_j) x ``factor`` and P(jump) the
    Bayes probability of ``returns`` under the new parameters (``fit`` itself at factor 1).

    Raises:
        ValueError: ``name`` not a jump parameter, or a factor that leaves pi outside (0, 1)
            or a sigma <= 0.
    """
    if name not in jm.PARAMS:
        raise ValueError(f"name={name!r}: must be one of {jm.PARAMS}")
    if factor == 1.0:
        return fit
    value = getattr(fit, name) * factor
    if not value > 0.0 or (name == "pi" and not value < 1.0):
        raise ValueError(f"factor={factor!r}: gives {name} = {value!r}")
    params = {k: float(getattr(fit, k)) for k in jm.PARAMS} | {name: float(value)}
    p = aj.bayes_jump_probability(returns, params["pi"], params["sigma_d"], params["sigma_j"])
    return JumpFit(np.asarray(p, dtype=float), **params)


def _jump_detects(check: Callable[[Candidate, int], CheckResult]) -> Detects:
    cache = sv.OutputCache(soft_jumps)

    def detects(direction: str, magnitude: float, seed: int) -> bool:
        name = direction.split()[0]

        def candidate(returns: np.ndarray) -> JumpFit:
            return scaled_jump_parameter(cache.run(seed, returns), returns, name, magnitude)

        return check(candidate, seed).failed

    return detects


def _factor_directions(
    name: str, what: str, up: tuple[float, ...], down: tuple[float, ...]
) -> tuple[sv.Direction, ...]:
    distortion = f"{what} x (1 + b); magnitude 1 + b"
    return (
        D(f"{name} b > 0", distortion, tuple(1.0 + b for b in up)),
        D(f"{name} b < 0", distortion, tuple(1.0 - b for b in down)),
    )


_WIDE = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
_WIDE_DOWN = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.45)
_NARROW = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1)
JUMP_DIRECTIONS = tuple(
    d
    for k, up, down in (
        ("pi", _WIDE, _WIDE_DOWN),
        ("sigma_d", _NARROW, _NARROW),
        ("sigma_j", _WIDE, _WIDE_DOWN),
    )
    for d in _factor_directions(k, f"{k} of every run (P(jump) recomputed)", up, down)
)
"""Both jump checks: each parameter x (1 + b), both ways."""


# ----------------------------------------------------------------------- JAX vs PyMC draws
def distorted_draws(draws: np.ndarray, direction: str, magnitude: float) -> np.ndarray:
    """Draws (chain, draw) scaled about their pooled mean by ``magnitude`` (``"scale ..."``)
    or shifted by ``magnitude`` pooled sds (``"shift"``)."""
    x = np.asarray(draws, dtype=float)
    if sv.distortion_kind(direction) == "shift":
        return x + magnitude * float(x.std(ddof=1))
    if not magnitude > 0.0:
        raise ValueError(f"magnitude={magnitude!r}: a scale factor must be > 0")
    m = float(x.mean())
    return m + magnitude * (x - m)


DISTORTED_VARIABLE = {
    "gamma_exponential": "kappa",
    "hierarchical_kappa": "kappa_own[0]",
    "jump_mixture": "sigma_j",
}
"""The variable whose JAX draws are distorted, per reference model."""


@functools.lru_cache(maxsize=2)
def _jax_fit(module: str, seed: int):
    return backends._jax_fit(module, seed, False)


def _backend_detects(module: str) -> Detects:
    variables = backends.SCENARIOS[module].variables
    target = DISTORTED_VARIABLE[module]

    def detects(direction: str, magnitude: float, seed: int) -> bool:
        pymc_fit, jax_fit = backends._pymc_fit(module, seed), _jax_fit(module, seed)
        if not (pymc_fit.diagnostics.usable and jax_fit.diagnostics.usable):
            return False  # the check is INCONCLUSIVE
        jax = backends._draws(jax_fit, variables)
        jax[target] = distorted_draws(jax[target], direction, magnitude)
        return not backends.judge(backends._draws(pymc_fit, variables), jax).agrees

    return detects


BACKEND_DIRECTIONS = (
    D("scale > 1", "JAX draws about their mean x s", (1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.4)),
    D("scale < 1", "JAX draws about their mean x s", (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6)),
    D("shift", "JAX draws + delta sd", (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)),
)


# ------------------------------------------------------------------- recovery.arrival_intensity
def _intensity_detects() -> Detects:
    cache = sv.OutputCache(volume_clock_intensity)

    def detects(direction: str, magnitude: float, seed: int) -> bool:
        def candidate(durations_ms: np.ndarray, half_life: float) -> np.ndarray:
            return np.asarray(cache.run(seed, durations_ms, half_life), dtype=float) * magnitude

        return ai.check_arrival_intensity(candidate, seed).failed

    return detects


INTENSITY_DIRECTIONS = _factor_directions(
    "intensity",
    "every intensity",
    (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2),
    (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2),
)


# ---------------------------------------------------------------------- recovery.stochastic_vol
@functools.lru_cache(maxsize=2)
def _sv_run(seed: int) -> CheckResult:
    return asv.run_stochastic_vol(stochastic_vol_fit, seed)


def sv_distorted_z(details: dict, field: str, factor: float) -> dict[str, float]:
    """The recovery z-scores of ``recovery.stochastic_vol``'s ``details`` with estimate
    ``field`` x ``factor`` (for ``"mu"``: the variance level exp(mu) x ``factor``, mu +
    ln factor); the sampling sds and truths are the check's."""
    est = dict(details["estimates"])
    est[field] = est[field] + math.log(factor) if field == "mu" else est[field] * factor
    return {f: (est[f] - details["truth"][f]) / details["sampling_sd"][f] for f in asv.FIELDS}


def _sv_detects(direction: str, magnitude: float, seed: int) -> bool:
    field = direction.split()[0]
    return asv.recovery_fails(sv_distorted_z(_sv_run(seed).details, field, magnitude))


SV_DIRECTIONS = (
    *_factor_directions("phi", "phi", _NARROW, _NARROW),
    *_factor_directions(
        "mu", "the variance level exp(mu)", (0.0, *_WIDE[1:]), (0.0, *_WIDE_DOWN[1:])
    ),
    *_factor_directions(
        "xi",
        "xi",
        (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0),
        (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    ),
    _factor_directions(
        "leverage", "leverage", (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5), (0.0,)
    )[0],
)


def _targets() -> dict[str, sv.Target]:
    mcmc = "the check: one NUTS fit per seed (4 chains x 1000), alpha 0.001, {what}"
    targets = [
        sv.Target(
            "agreement.kappa_mcmc",
            mcmc.format(what="100 fills"),
            POSTERIOR_DIRECTIONS,
            _posterior_detects(check_kappa_mcmc, conjugate_kappa),
        ),
        sv.Target(
            "agreement.hierarchical_pinned_mcmc",
            mcmc.format(what="30 own fills, kappa_market pinned"),
            POSTERIOR_DIRECTIONS,
            _posterior_detects(check_hierarchical_pinned_mcmc, hierarchical_kappa),
        ),
        sv.Target(
            jm.NAME,
            "the check: 4000 returns, 20 rotations, one NUTS fit per seed (2 x 1000), alpha 0.001",
            JUMP_DIRECTIONS,
            _jump_detects(jm.check_jumps_mcmc),
        ),
        *(
            sv.Target(
                f"agreement.jax_vs_pymc.{module}",
                f"the check's rule on its PyMC and JAX fits (4 x 1000 each) of a seed, the "
                f"JAX draws of {DISTORTED_VARIABLE[module]} distorted, alpha 0.001",
                BACKEND_DIRECTIONS,
                _backend_detects(module),
            )
            for module in backends.SCENARIOS
        ),
        sv.Target(
            "recovery.jump_parameters",
            "the check: 60 runs x 1000 returns, alpha 0.001",
            JUMP_DIRECTIONS,
            _jump_detects(aj.check_jump_recovery),
        ),
        sv.Target(
            ai.NAME,
            "the check: 2000 durations, |z| > 3.29 (alpha 0.001)",
            INTENSITY_DIRECTIONS,
            _intensity_detects(),
        ),
        sv.Target(
            asv.NAME,
            "the check's recovery band (4 sampling sds, 20000 buckets, 30 sd paths); its "
            "exactness part fails any distorted output",
            SV_DIRECTIONS,
            _sv_detects,
        ),
    ]
    return {t.check: t for t in targets}


TARGETS: dict[str, sv.Target] = _targets()
"""Severity targets of the agreement and recovery checks, by check name."""


def main(argv: list[str] | None = None) -> list[sv.SeverityRow]:
    """``python -m validation.calibration.agreement_severity``: the command line of
    :func:`validation.calibration.severity.main` on :data:`TARGETS`."""
    return sv.main(argv, TARGETS, prog="validation.calibration.agreement_severity")


if __name__ == "__main__":
    main()
