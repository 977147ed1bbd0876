"""``"e2e.params_consistency"``: every ``MarketParams`` field finite once warm, and the kappa
fields describing one Gamma posterior.

One 15-minute session (:mod:`validation.market.simulate`) with everything switched on: three
trades / s at the touch plus an Exp offset, books every second (5 levels, exponential depth),
own fills at 0.1 / s from minute 4 with adverse moves, jumps, and a regime change at minute 9
(sigma x 2, kappa x 2). At every checkpoint (every 30 s from minute 7) the check requires:

* ``MarketParams.is_complete()`` (sigma, sigma_effective, kappa, microprice, jump_ratio,
  kappa_uncertainty, toxicity_score, param_correlation, interval: all finite);
* ``kappa_95_lower`` / ``kappa_95_upper`` equal to the 2.5% / 97.5% quantiles of the Gamma
  with mean ``kappa`` and sd ``kappa_uncertainty`` to 1e-6 relative (scipy.stats.gamma, an
  implementation independent of the estimator's own ppf), and kappa inside the interval.

Deterministic given the seed: stated false-alarm rate 0.

Example (the production candidate; checkpoints every 30 s from 420 s to 900 s: 17)::

    >>> from validation.candidates import correct_candidates
    >>> result = run_params_consistency(correct_candidates()["unified"], 0)
    >>> result.status.value, result.details["checkpoints"]
    ('pass', 17)
"""

from __future__ import annotations

import math

import numpy as np

from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.endtoend._reported import reported_posterior
from validation.families import Candidate
from validation.market.simulate import MarketSpec, simulate_market
from validation.results import CheckResult, Status

NAME = "e2e.params_consistency"
RTOL = 1e-6
SPEC = MarketSpec(
    duration_s=900.0,
    trade_rate_per_s=3.0,
    pricing="touch",
    book_rate_per_s=1.0,
    jump_rate_per_s=1.0 / 120.0,
    jump_sd=10e-4,
    jump_floor=15e-4,
    regime_change_s=540.0,
    sigma_after=2e-4,
    kappa_after_factor=2.0,
    own_fill_rate_per_s=0.1,
    own_start_s=240.0,
    adverse_mean_bps=1.0,
    adverse_sd_bps=2.0,
)
FIRST_S, EVERY_S = 420.0, 30.0


def run_params_consistency(candidate: Candidate, seed: int) -> CheckResult:
    timer = Timer()
    session = simulate_market(SPEC, np.random.default_rng(seed))
    cps = [SPEC.start_ms + int(1000 * t) for t in np.arange(FIRST_S, SPEC.duration_s + 1, EVERY_S)]
    try:
        run = call_candidate(candidate, session, cps)
    except CandidateError as exc:
        return fail_result(NAME, seed, "candidate raised", 0.0, timer, error=str(exc))
    problems: list[dict] = []
    worst = 0.0
    for cp, p in zip(cps, run.params, strict=True):
        if not p.is_complete():
            missing = [
                k for k, v in p.to_dict().items() if k != "timestamp_ms" and not math.isfinite(v)
            ]
            problems.append({"t_ms": cp, "not_finite": missing})
            worst = math.inf
            continue
        try:
            lo, hi = reported_posterior(p.kappa, p.kappa_uncertainty).ppf([0.025, 0.975])
        except ValueError as exc:
            problems.append({"t_ms": cp, "error": str(exc)})
            worst = math.inf
            continue
        if not (0.0 < lo < hi < math.inf):
            problems.append({"t_ms": cp, "gamma_interval": [float(lo), float(hi)]})
            worst = math.inf
            continue
        err = max(abs(p.kappa_95_lower / lo - 1.0), abs(p.kappa_95_upper / hi - 1.0))
        worst = max(worst, err / RTOL)
        if err > RTOL or not p.kappa_95_lower < p.kappa < p.kappa_95_upper:
            problems.append({"t_ms": cp, "relative_interval_error": err})
    return CheckResult(
        name=NAME,
        status=Status.FAIL if problems else Status.PASS,
        statistic=worst,
        threshold=1.0,
        details={
            "statistic_name": "max relative error of the interval ends / 1e-6 (inf: a field "
            "not finite); FAIL when > 1",
            "checkpoints": len(cps),
            "problems": problems[:20],
            "n_problems": len(problems),
            "kappa_sources": sorted(set(run.kappa_sources)),
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=0.0,
    )
