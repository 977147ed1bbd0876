"""``"e2e.kappa_sbc"``: SBC of the kappa that ``UnifiedParameterEstimator.params()`` reports.

Each replication draws kappa_market ~ Gamma(5, 5/2500) (the production market-kappa prior)
and kappa_own | kappa_market ~ Gamma(a0 = 5, a0 / kappa_market), simulates a 12-minute
session (:mod:`validation.market.simulate`: trades at mid (1 +- d), d ~ Exp(kappa_market),
rate log-uniform on [0.02, 1] per s, so the 5-minute window holds from a handful to hundreds
of trades; books every 20 s on average (trades are priced against the latest); own fills at
rate 0.1 / s from minute 7 with adverse moves N(mu, 2 bp), mu ~ U(-1, 6) bp, so phi ranges
over about [0.65, 1]), feeds it event by event to the candidate and reads ``params()`` at
three checkpoints:

* t = 1 min: market-trade kappa, first trades (window not yet full);
* t = 6.67 min: market-trade kappa after evictions (window (1.67, 6.67] min, no own fill yet);
* t = 12 min: own fills have taken over (about 30 in the window).

The truth at a checkpoint is kappa_market while ``kappa_source`` is ``"market_trades"`` and
phi kappa_own once it is ``"own_fills"``, phi = 0.5 + 0.5 exp(-0.2 max(AS, 0)) with AS the
50-fill EWMA of the simulated adverse moves, computed here from explicit weights (the
documented quoting adjustment, so that the interval the quotes use is judged).

The reported posterior is the Gamma with the reported mean and sd
(:func:`validation.endtoend._reported.reported_posterior`); its CDF at the truth is the PIT,
and ``kappa_95_lower <= truth <= kappa_95_upper`` is the reported interval's coverage. Per
checkpoint the PITs must be uniform and the central/one-sided coverages binomial
(:func:`validation.calibration._sbc.exact_pit_result`) at alpha / 3, and the reported 95%
interval's coverage must lie in its two-sided binomial band at alpha / 3 (Bonferroni: the
check's false-alarm rate is at most about alpha = 0.001; measured by
``python -m validation.endtoend.rates``).

The market posterior is exact for this model (up to the 1e-5 distance floor); the own-fill
posterior is the moment-matched approximation of full Bayes (conf = A / (A + a0)), which these
replication counts cannot tell from exact.

Example (the production candidate on 20 replications instead of 100; phi by hand after one
adverse move of 5 bp: AS = 5, phi = 0.5 + 0.5 exp(-1) = 0.683940)::

    >>> from validation.candidates import correct_candidates
    >>> small = KappaSbcSettings(n_replications=20)
    >>> run_kappa_sbc(correct_candidates()["unified"], 0, settings=small).status.value
    'pass'
    >>> round(adverse_factor(np.array([5.0])), 6)
    0.68394
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.calibration._sbc import exact_pit_result
from validation.calibration.coverage import posterior_coverage, stack_indicators
from validation.calibration.pit import ReplicationMoments
from validation.endtoend._reported import FrozenPosterior, reported_posterior
from validation.families import Candidate
from validation.market.simulate import OWN_FILL, MarketSpec, simulate_market
from validation.results import CheckResult, Status
from validation.scenarios import GammaPrior

NAME = "e2e.kappa_sbc"
CHECKPOINTS_S = (60.0, 400.0, 720.0)
EXPECTED_SOURCES = ("market_trades", "market_trades", "own_fills")
MARKET_SOURCES = ("market_trades", "prior")
"""With no trade in the window the market posterior is the prior: still the exact posterior."""
AS_COEFFICIENT, AS_HALF_LIFE = 0.2, 50.0
"""The documented adverse-selection factor: phi = 0.5 + 0.5 exp(-c max(AS_bps, 0))."""


@dataclass(frozen=True)
class KappaSbcSettings:
    n_replications: int = 100
    alpha: float = 0.001
    prior: GammaPrior = field(default_factory=GammaPrior)
    a0: float = 5.0
    trade_rate_range: tuple[float, float] = (0.02, 1.0)


def adverse_factor(moves_bps: np.ndarray) -> float:
    """phi from the moves in fill order: AS = sum_i w_i x_i with the tick-EWMA weights
    ``w_0 = (1 - a)**(n-1)``, ``w_i = a (1 - a)**(n-1-i)``, a = 1 - 2**(-1/50)."""
    x = np.asarray(moves_bps, dtype=float)
    if x.size == 0:
        return 1.0
    a = 1.0 - 2.0 ** (-1.0 / AS_HALF_LIFE)
    w = a * (1.0 - a) ** (x.size - 1 - np.arange(x.size))
    w[0] = (1.0 - a) ** (x.size - 1)
    return 0.5 + 0.5 * math.exp(-AS_COEFFICIENT * max(float(w @ x), 0.0))


def draw_session(rng: np.random.Generator, s: KappaSbcSettings):
    kappa_market = s.prior.draw(rng)
    lo, hi = s.trade_rate_range
    spec = MarketSpec(
        duration_s=CHECKPOINTS_S[-1],
        kappa_market=kappa_market,
        trade_rate_per_s=math.exp(rng.uniform(math.log(lo), math.log(hi))),
        book_rate_per_s=0.05,
        levels=3,
        own_fill_rate_per_s=0.1,
        own_start_s=420.0,
        a0=s.a0,
        adverse_mean_bps=float(rng.uniform(-1.0, 6.0)),
        adverse_sd_bps=2.0,
    )
    return simulate_market(spec, rng)


def run_kappa_sbc(
    candidate: Candidate, seed: int, *, settings: KappaSbcSettings | None = None
) -> CheckResult:
    s = settings if settings is not None else KappaSbcSettings()
    timer = Timer()
    rng = np.random.default_rng(seed)
    k = len(CHECKPOINTS_S)
    posts: list[list] = [[] for _ in range(k)]
    truths: list[list[float]] = [[] for _ in range(k)]
    inside: list[list[bool]] = [[] for _ in range(k)]
    wrong_source = [0] * k
    for _ in range(s.n_replications):
        session = draw_session(rng, s)
        cps = [session.spec.start_ms + int(c * 1000) for c in CHECKPOINTS_S]
        try:
            run = call_candidate(candidate, session, cps)
        except CandidateError as exc:
            return fail_result(NAME, seed, "candidate raised", s.alpha, timer, error=str(exc))
        for j, (p, src, cp) in enumerate(zip(run.params, run.kappa_sources, cps, strict=True)):
            family = "market_trades" if src in MARKET_SOURCES else src
            if family != EXPECTED_SOURCES[j]:
                wrong_source[j] += 1
            if src == "own_fills":
                fills = (session.kinds == OWN_FILL) & (session.times_ms <= cp)
                truth = adverse_factor(session.adverse_bps[fills]) * session.truth.kappa_own_at(cp)
            else:
                truth = session.truth.kappa_market_at(cp)
            try:
                posts[j].append(reported_posterior(p.kappa, p.kappa_uncertainty))
            except ValueError as exc:
                return fail_result(
                    NAME, seed, "unusable reported posterior", s.alpha, timer, error=str(exc)
                )
            truths[j].append(truth)
            inside[j].append(bool(p.kappa_95_lower <= truth <= p.kappa_95_upper))
    results, reported = [], []
    band_alpha = s.alpha / (2 * k)
    for j in range(k):
        pit = np.array([float(post.cdf(t)) for post, t in zip(posts[j], truths[j], strict=True)])
        cover = stack_indicators(
            [
                posterior_coverage(FrozenPosterior(p), t)
                for p, t in zip(posts[j], truths[j], strict=True)
            ]
        )
        moments = ReplicationMoments(
            np.asarray(truths[j], dtype=float),
            np.array([float(post.mean()) for post in posts[j]]),
            np.array([float(post.std()) for post in posts[j]]),
            ranked={"PIT": pit},
        )
        extra = {"replications": moments}
        results.append(exact_pit_result(NAME, pit, cover, s.alpha / (2 * k), seed, 0.0, extra))
        hits = int(np.sum(inside[j]))
        lo = stats.binom.ppf(band_alpha / 2, s.n_replications, 0.95)
        hi = stats.binom.isf(band_alpha / 2, s.n_replications, 0.95)
        reported.append({"covered": hits, "band": [float(lo), float(hi)], "ok": lo <= hits <= hi})
    failed = [
        j
        for j in range(k)
        if results[j].failed or not reported[j]["ok"] or wrong_source[j] > 0.05 * s.n_replications
    ]
    details = {
        "statistic_name": "max over checkpoints of the exact-PIT SBC statistic; FAIL when > 1, "
        "when the reported 95% interval's coverage leaves its binomial band, or when the kappa "
        "source is not the expected one in more than 5% of the replications",
        "checkpoints_s": list(CHECKPOINTS_S),
        "expected_sources": list(EXPECTED_SOURCES),
        "wrong_source": wrong_source,
        "reported_interval_coverage": reported,
        "per_checkpoint": [
            {
                "statistic": r.statistic,
                "status": r.status.value,
                **{
                    key: r.details[key] for key in ("uniformity", "coverage", "pit", "replications")
                },
            }
            for r in results
        ],
        "failed_checkpoints": failed,
        "n_replications": s.n_replications,
    }
    return CheckResult(
        name=NAME,
        status=Status.FAIL if failed else Status.PASS,
        statistic=max(r.statistic for r in results),
        threshold=1.0,
        details=details,
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=s.alpha,
    )
