"""``"e2e.sigma_bias"``: ``MarketParams.sigma`` and ``sigma_effective`` against the true sigma.

Scenarios (:data:`SCENARIOS`), each simulated ``n_sessions`` times for 20 minutes with
sigma = 1 bp / sqrt(s) (:mod:`validation.market.simulate`; books every 2 s, trade sizes
log-normal): many trades per bucket (3 trades / s, about 9 per bucket) or about one (0.2 / s);
trades at mid (1 +- d), d ~ Exp(2500) (bid-ask bounce), at the touch plus an Exp offset
(bounce), or at the mid (none); with or without jumps (one per 5 minutes on average,
log sizes +-(20 bp + |N(0, (10 bp)**2)|), at least 9 to 12 diffusive bucket sd; the jumps
carry about 2.7 times the diffusive variance).

Per session the statistic is ``x = ln(mean_c sigma_c**2 / sigma**2)`` over the checkpoints c
every 30 s after a 10-minute warm-up (four half-lives of the slow variance EWMA at about 0.33
buckets / s), and likewise for sigma_effective. The sessions are independent, so per
scenario ``t = mean(x) / (sd(x) / sqrt(n))`` is Student-t with n - 1 df under no bias (x is a
log of an average of about 150 squared returns: close to normal). The tolerance is the
estimator's own sampling error: FAIL when ``|t|`` exceeds the two-sided critical value at
alpha / (number of tests) for any scenario (Bonferroni; alpha = 0.001). With jumps,
sigma_effective targets neither sigma nor the total volatility: it must not lie significantly
below sigma**2 or above sigma**2 + (jump rate) E[J**2] (one-sided t-tests).

The VWAP-return estimator (``use_mid_returns=False``) gives about 2/3 of the variance with many
trades per bucket and the bounce variance with one; classical bipower on one trade per bucket
(exponential durations) gives pi/4 of it.

Example (the production candidate on 2 sessions per scenario instead of 8, so each t-test has
1 degree of freedom: this shows the call, not the check's power; a session's statistic by hand
when every checkpoint reports twice the true sigma: x = ln 4 = 1.386294)::

    >>> from validation.candidates import correct_candidates
    >>> small = SigmaBiasSettings(n_sessions=2)
    >>> run_sigma_bias(correct_candidates()["unified"], 0, settings=small).status.value
    'pass'
    >>> round(_log_ratios([2 * SIGMA, 2 * SIGMA], SIGMA**2), 6)
    1.386294
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.families import Candidate
from validation.market.simulate import MarketSpec, simulate_market
from validation.results import CheckResult, Status

NAME = "e2e.sigma_bias"
SIGMA = 1e-4
DURATION_S = 1200.0
WARM_UP_S = 600.0
EVERY_S = 30.0
JUMP_RATE, JUMP_FLOOR, JUMP_SD = 1.0 / 300.0, 20e-4, 10e-4


@dataclass(frozen=True)
class Scenario:
    name: str
    trade_rate_per_s: float
    pricing: str
    jumps: bool

    def spec(self) -> MarketSpec:
        return MarketSpec(
            duration_s=DURATION_S,
            sigma=SIGMA,
            trade_rate_per_s=self.trade_rate_per_s,
            pricing=self.pricing,
            book_rate_per_s=0.5,
            levels=3,
            jump_rate_per_s=JUMP_RATE if self.jumps else 0.0,
            jump_sd=JUMP_SD if self.jumps else 0.0,
            jump_floor=JUMP_FLOOR if self.jumps else 0.0,
        )


SCENARIOS = (
    Scenario("many_per_bucket_exp_bounce", 3.0, "exp", False),
    Scenario("one_per_bucket_exp_bounce", 0.2, "exp", False),
    Scenario("many_per_bucket_no_bounce", 3.0, "mid", False),
    Scenario("many_per_bucket_touch_jumps", 3.0, "touch", True),
    Scenario("one_per_bucket_touch_jumps", 0.2, "touch", True),
)


@dataclass(frozen=True)
class SigmaBiasSettings:
    n_sessions: int = 8
    alpha: float = 0.001


def _log_ratios(values: list[float], target: float) -> float:
    v = np.asarray(values, dtype=float)
    return math.log(float(np.mean(v**2)) / target) if np.all(np.isfinite(v)) else math.nan


def run_sigma_bias(
    candidate: Candidate, seed: int, *, settings: SigmaBiasSettings | None = None
) -> CheckResult:
    s = settings if settings is not None else SigmaBiasSettings()
    timer = Timer()
    rng = np.random.default_rng(seed)
    n_tests = sum(3 if sc.jumps else 2 for sc in SCENARIOS)
    rows, failed = [], []
    worst = 0.0
    for sc in SCENARIOS:
        spec = sc.spec()
        start = spec.start_ms
        cps = [start + int(1000 * t) for t in np.arange(WARM_UP_S, DURATION_S + 1e-9, EVERY_S)]
        x_sigma, x_eff = [], []
        for _ in range(s.n_sessions):
            session = simulate_market(spec, rng)
            try:
                run = call_candidate(candidate, session, cps)
            except CandidateError as exc:
                return fail_result(NAME, seed, "candidate raised", s.alpha, timer, error=str(exc))
            x_sigma.append(_log_ratios([p.sigma for p in run.params], SIGMA**2))
            x_eff.append(_log_ratios([p.sigma_effective for p in run.params], SIGMA**2))
        total = SIGMA**2 + spec.jump_variance_per_s
        tests = [("sigma", x_sigma, 0.0, "two-sided")]
        if sc.jumps:
            tests += [
                ("sigma_effective", x_eff, 0.0, "not below"),
                ("sigma_effective", x_eff, math.log(total / SIGMA**2), "not above"),
            ]
        else:
            tests += [("sigma_effective", x_eff, 0.0, "two-sided")]
        for field, x, target, kind in tests:
            x = np.asarray(x)
            if not np.all(np.isfinite(x)):
                rows.append({"scenario": sc.name, "field": field, "kind": kind, "t": math.inf})
                failed.append((sc.name, field, kind))
                worst = math.inf
                continue
            se = float(np.std(x, ddof=1)) / math.sqrt(x.size)
            t = (float(np.mean(x)) - target) / se if se > 0 else math.inf
            a = s.alpha / n_tests
            if kind == "two-sided":
                crit, excess = stats.t.isf(a / 2, x.size - 1), abs(t)
            elif kind == "not below":
                crit, excess = stats.t.isf(a, x.size - 1), -t
            else:
                crit, excess = stats.t.isf(a, x.size - 1), t
            worst = max(worst, excess / crit)
            if excess > crit:
                failed.append((sc.name, field, kind))
            rows.append(
                {
                    "scenario": sc.name,
                    "field": field,
                    "kind": kind,
                    "mean_log_variance_ratio": float(np.mean(x)),
                    "target": target,
                    "sigma_ratio": math.exp(float(np.mean(x)) / 2),
                    "se": se,
                    "t": t,
                    "critical": float(crit),
                }
            )
    details = {
        "statistic_name": "max over scenario tests of |t| / critical (one-sided: the excess); "
        "FAIL when > 1",
        "sigma_per_sqrt_s": SIGMA,
        "n_sessions": s.n_sessions,
        "tests": rows,
        "failed_tests": failed,
    }
    return CheckResult(
        name=NAME,
        status=Status.FAIL if failed else Status.PASS,
        statistic=worst,
        threshold=1.0,
        details=details,
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=s.alpha,
    )
