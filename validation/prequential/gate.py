"""``"e2e.prequential_pit"``: the prequential PIT audit of a ``"unified"`` candidate on one
simulated session (the CI gate of :mod:`validation.prequential`).

One 15-minute session of :func:`validation.prequential.simulated.session_spec` (kappa_market
from the estimator's prior Gamma(5, 5 / 2500), sigma = 1 bp / sqrt(s), exponential distances
with bid-ask bounce, no jumps) with one trade and half a book per second (about 600 scored
trades and 110 bucket returns after the warm-up). The candidate is a black box
``(session, checkpoints_ms) -> SessionRun``, so the predictives are read from ``params()`` at
a checkpoint 1 ms before every trade (the state after every event of earlier milliseconds):

* **trade distance**: the Lomax predictive of the reported kappa Gamma (while
  ``kappa_source == "market_trades"``) against the trade's distance from the latest book's
  mid, floored as the production estimator floors it (the cell [0, 1e-5] below the floor);
* **bucket return**: at each bucket close (``SessionRun.buckets``), r = ln(m_k / m_{k-1}) of
  the latest book mids at the two closes, dt the time between those books, under
  N(0, sigma^2 dt) with ``params().sigma`` just before the close. The sessions have no jumps,
  so the diffusion alone is the right predictive (``params()`` does not carry the
  classifier's mixture).

Both are scored by :mod:`.predictive` and audited by :func:`.pit_audit.pit_audit` after a
:data:`WARMUP_S` warm-up, in one block each (``block_ms`` = the session), at alpha / 2 each
(Bonferroni; alpha = 0.001). FAIL when either rejects. Statistic: the largest per-block
uniformity statistic (ECDF excursion or chi-square / critical) and Ljung-Box
``alpha / 4 / p`` over both quantities, each > 1 exactly when its test rejects.

Example (seed 0, the production candidate)::

    >>> from validation.candidates import correct_candidates
    >>> r = run_prequential_pit(correct_candidates()["unified"], 0)
    >>> r.status.value, r.details["n"]["trade_distance"] > 500
    ('pass', True)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from online.conjugate_kappa import ConjugateKappaConfig
from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.families import Candidate, CheckSpec
from validation.market.feed import SessionRun
from validation.market.simulate import BOOK, TRADE, MarketSession, simulate_market
from validation.prequential.evaluate import score_all, times_of
from validation.prequential.pit_audit import PitAudit, pit_audit
from validation.prequential.probe import RETURN_FIELDS, TRADE_FIELDS, distance_cell, gamma_of
from validation.prequential.simulated import session_spec
from validation.results import CheckResult, Status

NAME = "e2e.prequential_pit"
ALPHA = 0.001
DURATION_S = 900.0
WARMUP_S = 300.0
TRADE_RATE_PER_S = 1.0
BOOK_RATE_PER_S = 0.5
QUANTITIES = ("trade_distance", "bucket_return")
FLOOR = ConjugateKappaConfig().min_distance


def _table(rows: list[tuple[float, ...]], names: tuple[str, ...]) -> np.ndarray:
    dtype = [(n, np.int64 if n in ("index", "time_ms") else np.float64) for n in names]
    return np.array([tuple(r) for r in rows], dtype=dtype)


def run_records(session: MarketSession, run: SessionRun) -> dict[str, np.ndarray]:
    """``trades`` and ``returns`` tables (fields of :mod:`.probe`) of a run whose checkpoints
    are 1 ms before every trade millisecond; ``own_fills`` empty."""
    cps = np.asarray(run.checkpoints_ms, dtype=np.int64)
    trade = np.flatnonzero(session.kinds == TRADE)
    trades = []
    for i in trade.tolist():
        t = int(session.times_ms[i])
        k = int(np.searchsorted(cps, t - 1))
        gamma = gamma_of(run.params[k])
        if run.kappa_sources[k] != "market_trades" or gamma is None:
            continue
        d = float(session.distances[i])
        trades.append((i, t, *distance_cell(d, d, FLOOR), *gamma))
    book = session.kinds == BOOK
    book_ms, book_mid = session.times_ms[book], session.quoted_mid[book]
    returns = []
    previous: tuple[int, int, float] | None = None  # (close ms, book ms, mid)
    for n, bucket in enumerate(run.buckets):
        t = bucket.end_ms
        j = int(np.searchsorted(book_ms, t, side="right")) - 1
        tau, mid = int(book_ms[j]), float(book_mid[j])
        if previous is not None and previous[0] < t and tau > previous[1]:
            sigma = run.params[int(np.searchsorted(cps, t - 1))].sigma
            if math.isfinite(sigma) and sigma > 0.0:
                r = math.log(mid / previous[2])
                returns.append((n, t, r, r, (tau - previous[1]) / 1000.0, sigma, 0.0, 0.0))
        previous = (t, tau, mid)
    return {
        "trades": _table(trades, TRADE_FIELDS),
        "own_fills": _table([], TRADE_FIELDS),
        "returns": _table(returns, RETURN_FIELDS),
    }


def _statistic(audit: PitAudit) -> float:
    blocks = [b.statistic for b in audit.blocks]
    lb = [audit.alpha / 4.0 / max(p, 1e-300) for p in audit.ljung_box_p.values()]
    return max(blocks + lb)


def run_prequential_pit(candidate: Candidate, seed: int) -> CheckResult:
    """The check (module docstring) on one session drawn from ``seed``."""
    timer = Timer()
    rng = np.random.default_rng(seed)
    spec = dataclasses.replace(
        session_spec(rng, duration_s=DURATION_S),
        trade_rate_per_s=TRADE_RATE_PER_S,
        book_rate_per_s=BOOK_RATE_PER_S,
    )
    session = simulate_market(spec, rng)
    cps = (np.unique(session.times_ms[session.kinds == TRADE]) - 1).tolist()
    try:
        run = call_candidate(candidate, session, cps)
    except CandidateError as exc:
        return fail_result(NAME, seed, "candidate raised", ALPHA, timer, error=str(exc))
    start = session.spec.start_ms + round(WARMUP_S * 1000)
    records = {k: v[v["time_ms"] >= start] for k, v in run_records(session, run).items()}
    scores = score_all(records, rng)
    missing = [q for q in QUANTITIES if q not in scores]
    if missing:
        return fail_result(NAME, seed, f"too few scored {missing}", ALPHA, timer)
    block_ms = round(DURATION_S * 1000)
    audits = {
        q: pit_audit(times_of(records, q), scores[q].pit, alpha=ALPHA / 2, block_ms=block_ms)
        for q in QUANTITIES
    }
    stat = max(_statistic(a) for a in audits.values())
    details: dict[str, Any] = {
        "audits": audits,
        "n": {q: int(scores[q].pit.size) for q in QUANTITIES},
        "rejected": {q: a.rejected for q, a in audits.items()},
        "kappa_market": session.spec.kappa_market,
        "statistic_name": "max over quantities of block uniformity statistic and "
        "Ljung-Box (alpha/4)/p; > 1 rejects",
    }
    failed = any(a.rejected for a in audits.values())
    return CheckResult(
        NAME,
        Status.FAIL if failed else Status.PASS,
        stat,
        1.0,
        details,
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=ALPHA,
    )


CHECK = CheckSpec(
    name=NAME,
    family="unified",
    run=run_prequential_pit,
    uses_mcmc=False,
    false_alarm_rate=ALPHA,
    description="prequential PIT of params() on a simulated session: Lomax trade-distance and "
    "diffusion bucket-return predictives, per-block uniformity + Ljung-Box",
)
