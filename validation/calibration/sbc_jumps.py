"""``"sbc.jump_reliability"``: is a jump classifier's P(jump) calibrated for the simulated labels?

Scenario: ``N_RETURNS`` returns from :func:`validation.scenarios.simulate_jumps` with pi =
0.05, sigma_d = 1e-4 and sigma_j = 10 sigma_d = 1e-3, with the true jump labels y_i. The
candidate is run on 20 cyclic rotations of the returns and its P(jump) averaged
over them (:func:`validation.agreement.jumps_mcmc.rotation_average`): the online EM's final
parameters summarise only its last ~200 returns, and averaging the snapshots ending on 20
different blocks smooths out that plug-in noise the way the agreement check does.

Verdict: the CORP consistency-resampling test (:mod:`validation.calibration.binary`) of the
averaged P(jump) against y at alpha = 0.001 with 999 resamples: FAIL when the Monte Carlo
p-value is <= alpha. statistic = MCB / max(MCB_crit, 1e-15), MCB_crit the resampled MCB
above which the test rejects: > 1 when it rejects (ties within 1e-15 aside). A hard 0/1
classifier has MCB_crit = 0 (its resamples cannot differ from it), so a wrong one scores
about 1e13.

Measured (``python -m validation.catalogue.jump_reliability_rates --seeds 200``; README,
"Calibration beyond the parameter PIT"): the Bayes classifier at the true
parameters (exactly calibrated) is rejected on 0 / 200 seeds at alpha = 0.001, 1 / 200 at 0.01
and 7 / 200 at 0.05 (the level holds); the production classifier on 0, 1 and 9 of 200. With
sigma_j = 5 sigma_d instead the production plug-in P(jump) is measurably over-confident where
the components overlap (pooled over 200 000 returns: mean P 0.31 against a jump frequency of
0.27 where 0.2 <= P < 0.5, 0.64 against 0.58 where 0.5 <= P < 0.8) and this test rejected it
on 1 of 100 seeds at 0.001 and 6 of 100 at 0.01, so that scenario would not be a gate at the
stated rate.

Example (the production classifier on 1000 returns, 199 resamples at alpha = 0.005)::

    >>> from validation.candidates import correct_candidates
    >>> small = JumpReliabilitySettings(n_returns=1000, alpha=0.005, n_resamples=199)
    >>> run_jump_reliability(correct_candidates()["jumps"], 0, settings=small).status.value
    'pass'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from validation.agreement._common import CandidateError, Timer, fail_result
from validation.agreement.jumps import bayes_jump_probability
from validation.agreement.jumps_mcmc import rotation_average
from validation.calibration.binary import DEFAULT_RESAMPLES, MCB_ROUNDING, miscalibration_test
from validation.families import Candidate, JumpFit
from validation.results import CheckResult, Status
from validation.scenarios import simulate_jumps

NAME = "sbc.jump_reliability"
N_RETURNS = 4000
PI, SIGMA_D, SIGMA_J = 0.05, 1e-4, 1e-3
"""Truth of the scenario (jumps 10 diffusion sds wide)."""


@dataclass(frozen=True)
class JumpReliabilitySettings:
    """Returns per run, false-alarm rate and resamples of the consistency test."""

    n_returns: int = N_RETURNS
    alpha: float = 0.001
    n_resamples: int = DEFAULT_RESAMPLES


def run_jump_reliability(
    candidate: Candidate, seed: int, *, settings: JumpReliabilitySettings | None = None
) -> CheckResult:
    """Run the check (module docstring) on a ``"jumps"`` candidate ``(returns) -> JumpFit``."""
    s = settings if settings is not None else JumpReliabilitySettings()
    timer = Timer()
    rng = np.random.default_rng(seed)
    data = simulate_jumps(rng, s.n_returns, PI, SIGMA_D, SIGMA_J)
    try:
        avg = rotation_average(candidate, data.returns)
    except CandidateError as exc:
        return fail_result(NAME, seed, "candidate raised", s.alpha, timer, error=str(exc))
    if isinstance(avg, str):
        return fail_result(NAME, seed, avg, s.alpha, timer)
    p = np.clip(avg.p_bar, 0.0, 1.0)
    if not np.allclose(p, avg.p_bar, rtol=0.0, atol=1e-12):
        return fail_result(NAME, seed, "P(jump) outside [0, 1]", s.alpha, timer)
    test = miscalibration_test(p, data.is_jump, rng, alpha=s.alpha, n_resamples=s.n_resamples)
    mcb = test.decomposition.mcb
    statistic = mcb / max(test.mcb_critical, MCB_ROUNDING)
    return CheckResult(
        name=NAME,
        status=Status.FAIL if test.rejected else Status.PASS,
        statistic=float(statistic),
        threshold=1.0,
        details={
            "statistic_name": "CORP MCB / resampled critical MCB; FAIL when the resampling "
            "p-value <= alpha",
            "reliability": test,
            "n_returns": s.n_returns,
            "jumps": int(np.count_nonzero(data.is_jump)),
            "mean_p_jump": float(p.mean()),
            "truth": {"pi": PI, "sigma_d": SIGMA_D, "sigma_j": SIGMA_J},
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=s.alpha,
    )


def calibrated_classifier(returns: np.ndarray) -> JumpFit:
    """The Bayes classifier at the scenario's TRUE parameters: exactly calibrated for the
    simulated labels (the reference on which the check's false-alarm rate is measured)."""
    p = bayes_jump_probability(returns, PI, SIGMA_D, SIGMA_J)
    return JumpFit(np.asarray(p, dtype=float), PI, SIGMA_D, SIGMA_J)
