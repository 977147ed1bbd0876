"""``"e2e.state_and_input_contracts"``: what production relies on besides the numbers.

On one simulated 10-minute session (trades at the touch, books, own fills with adverse
moves, jumps) and for both the V2 (``all_enabled``) and the V1 (``legacy_v1``) unified
estimator, built by the candidate's own factory path:

* **round trip**: at mid-session ``state_dict()`` goes through strict JSON
  (``json.dumps(allow_nan=False)``) and ``from_state_dict``; the restored and the original
  estimator are fed the rest of the session and must emit bit-identical ``MarketParams`` at
  every checkpoint (NaN equal to NaN);
* **bad input**: mid-session, a NaN price, a negative size, a timestamp going backwards, a
  crossed book, a non-bool side and a non-finite adverse move must each raise
  ``online.InvalidInputError`` and leave ``state_dict()`` byte-identical;
* **quotes**: the GLFT half-spread and reservation shift from the emitted kappa and sigma
  equal the closed forms (1/gamma) ln(1 + gamma/kappa) + gamma sigma^2 T / 2 and
  -q gamma sigma^2 tau, computed here, to 1e-12 relative;
* **export**: the last ``MarketParams`` observed by :class:`online.metrics.MarketParamsExporter`
  and scraped in the Prometheus text format (parsed back with ``prometheus_client.parser``)
  shows every field's value exactly (NaN as NaN), and the accepted / rejected event counters
  count what was counted.

Deterministic: stated false-alarm rate 0. It judges the production classes themselves (the
candidate argument is not used: a session runner does not expose the estimator's state).

Example (the production candidate)::

    >>> from validation.candidates import correct_candidates
    >>> run_contracts(correct_candidates()["unified"], 0).status.value
    'pass'
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from online import InvalidInputError
from online.glft import glft_half_spread, reservation_shift
from online.market_params import EstimatorVersion, MarketParams
from online.metrics import MarketParamsExporter
from online.unified import UnifiedEstimatorConfig, UnifiedParameterEstimator
from validation.agreement._common import Timer
from validation.market.feed import feed_session
from validation.market.simulate import MarketSession, MarketSpec, simulate_market
from validation.results import CheckResult, Status

EXPORT_NAMESPACE = "mm_estimator"

NAME = "e2e.state_and_input_contracts"
SPEC = MarketSpec(
    duration_s=600.0,
    trade_rate_per_s=2.0,
    pricing="touch",
    book_rate_per_s=1.0,
    own_fill_rate_per_s=0.1,
    adverse_mean_bps=1.0,
    adverse_sd_bps=2.0,
    jump_rate_per_s=1.0 / 120.0,
    jump_sd=10e-4,
    jump_floor=20e-4,
)
GAMMA, HORIZON_S, INVENTORY = 1000.0, 60.0, 3.0


def _split(session: MarketSession, at: int) -> tuple[MarketSession, MarketSession]:
    """The events up to index ``at`` and from it (books keep their rows)."""
    fields = (
        "kinds",
        "times_ms",
        "prices",
        "sizes",
        "is_buy",
        "adverse_bps",
        "book_index",
        "quoted_mid",
        "log_mid",
        "distances",
    )
    head = {f: getattr(session, f)[:at] for f in fields}
    tail = {f: getattr(session, f)[at:] for f in fields}
    return dataclasses.replace(session, **head), dataclasses.replace(session, **tail)


def _same(a: Any, b: Any) -> bool:
    return a == b or (
        isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    )


def _bad_inputs(est: UnifiedParameterEstimator, t: int) -> list[tuple[str, Callable[[], None]]]:
    mid = est.mid or 100.0
    return [
        ("nan price", lambda: est.on_trade(float("nan"), 100.0, True, t)),
        ("negative size", lambda: est.on_trade(mid, -5.0, True, t)),
        ("time backwards", lambda: est.on_trade(mid, 100.0, True, t - 10_000)),
        ("crossed book", lambda: est.on_l2_book([mid * 1.01], [10.0], [mid * 0.99], [10.0], t)),
        ("non-bool side", lambda: est.on_trade(mid, 100.0, "buy", t)),  # type: ignore[arg-type]
        ("inf adverse move", lambda: est.on_own_fill(mid, 100.0, True, t, float("inf"))),
    ]


def _export_problems(label: str, params: MarketParams) -> list[str]:
    """What a Prometheus scrape after ``observe(params)`` shows that differs from ``params``."""
    exporter = MarketParamsExporter(namespace=EXPORT_NAMESPACE, labels={"symbol": label})
    exporter.observe(params)
    for handler, n_ok, n_bad in (("trade", 3, 1), ("own_fill", 1, 0)):
        for _ in range(n_ok):
            exporter.count(handler)
        for _ in range(n_bad):
            exporter.count(handler, rejected=True)
    scraped: dict[str, float] = {}
    for family in text_string_to_metric_families(generate_latest(exporter.registry).decode()):
        for sample in family.samples:
            key = sample.name + "".join(
                f",{k}={v}" for k, v in sorted(sample.labels.items()) if k != "symbol"
            )
            scraped[key] = sample.value
    want = {f"{EXPORT_NAMESPACE}_{k}": float(v) for k, v in params.to_dict().items()}
    want |= {
        f"{EXPORT_NAMESPACE}_updates_total,handler=trade": 3.0,
        f"{EXPORT_NAMESPACE}_rejected_inputs_total,handler=trade": 1.0,
        f"{EXPORT_NAMESPACE}_updates_total,handler=own_fill": 1.0,
    }
    return [
        f"{label}: exported {key} = {scraped.get(key)!r}, want {value!r}"
        for key, value in want.items()
        if key not in scraped or not _same(scraped[key], value)
    ]


def run_contracts(candidate: Any, seed: int) -> CheckResult:
    """``candidate`` is ignored: the check builds the production estimators itself."""
    timer = Timer()
    session = simulate_market(SPEC, np.random.default_rng(seed))
    half = int(np.searchsorted(session.times_ms, SPEC.start_ms + 300_000))
    head, tail = _split(session, half)
    cps = [SPEC.start_ms + 1000 * s for s in range(320, 601, 20)]
    problems: list[str] = []
    for label, version in (
        ("V2", EstimatorVersion.all_enabled()),
        ("V1", EstimatorVersion.legacy_v1()),
    ):
        original = UnifiedParameterEstimator(UnifiedEstimatorConfig(version=version))
        feed_session(head, original, [])
        saved = json.dumps(original.state_dict(), allow_nan=False)
        for what, call in _bad_inputs(original, int(head.times_ms[-1])):
            try:
                call()
                problems.append(f"{label}: {what} accepted")
            except InvalidInputError:
                pass
            if json.dumps(original.state_dict(), allow_nan=False) != saved:
                problems.append(f"{label}: {what} changed the state")
        restored = UnifiedParameterEstimator.from_state_dict(json.loads(saved))
        a = feed_session(tail, original, cps)
        b = feed_session(tail, restored, cps)
        for cp, p, q in zip(cps, a.params, b.params, strict=True):
            if not all(
                _same(x, y) for x, y in zip(p.to_dict().values(), q.to_dict().values(), strict=True)
            ):
                problems.append(f"{label}: restored estimator differs at {cp} ms")
                break
        last = a.params[-1]
        problems.extend(_export_problems(label, last))
        if math.isfinite(last.kappa) and math.isfinite(last.sigma):
            want = math.log1p(GAMMA / last.kappa) / GAMMA + 0.5 * GAMMA * last.sigma**2 * HORIZON_S
            got = glft_half_spread(last.kappa, last.sigma, GAMMA, HORIZON_S)
            shift = -INVENTORY * GAMMA * last.sigma**2 * HORIZON_S
            got_shift = reservation_shift(INVENTORY, GAMMA, last.sigma, HORIZON_S)
            if abs(got / want - 1.0) > 1e-12 or abs(got_shift / shift - 1.0) > 1e-12:
                problems.append(f"{label}: GLFT {got} vs {want}, shift {got_shift} vs {shift}")
        else:
            problems.append(f"{label}: kappa or sigma not finite at the end of the session")
    return CheckResult(
        name=NAME,
        status=Status.FAIL if problems else Status.PASS,
        statistic=float(len(problems)),
        threshold=0.0,
        details={
            "statistic_name": "number of broken contracts; FAIL when > 0",
            "problems": problems,
            "checkpoints": len(cps),
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=0.0,
    )
