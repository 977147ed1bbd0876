"""The prequential PIT audit on streams simulated from the model (false-alarm rate) and on
known-bad variants (detection).

Per seed, one 30-minute session of :func:`validation.market.simulate_market` with kappa_market
drawn from the estimator's prior Gamma(5, 5 / 2500) (so the Bayes predictive is the right
one), exponential distances with bid-ask bounce, sigma = 1e-4 per sqrt(s), no jumps; the first
5 minutes are warm-up. ``own_fills`` sessions add own fills at 0.5 / s with non-positive
adverse moves (N(-2, 0.5^2) bp: phi = 1, so the reported kappa is the fill-distance law).
:func:`validation.prequential.pit_audit.pit_audit` (alpha 0.001, 10-minute blocks) runs on the
trade-distance, bucket-return and (``own_fills``) own-fill PITs.

Offset sessions (:func:`sim_offset_audit`) price trades by the zero-inflated offset model
(``pricing="offset"``, half-spread 5 bp, touch probability ~ Beta(1, 1) and kappa_inside ~
Gamma(5, 5 / 2500), the priors of :mod:`.offset`) and audit the offset-distance PITs of
:func:`validation.prequential.offset.offset_records` (the model's parameters are updated
there, not by the estimator, so no estimator is fed). Variants: ``"correct"``,
``"count_censored"`` (trades at the mid counted as observed improvements x = h: kappa_inside
too high by about the censored share) and ``"kappa_2x"`` (the kappa_inside posterior rate
halved: kappa_inside x 2).

Variants (candidates are estimator factories):

* ``"correct"``: ``UnifiedParameterEstimator()``;
* ``"kappa_2x"``: the same, reporting kappa, its sd and interval x2 (:class:`KappaScaled`);
* ``"vwap_sigma"``: ``use_mid_returns=False`` (sigma from consecutive-VWAP returns).

Example::

    >>> sim_audit(0, "correct")["bucket_return"]["rejected"]
    False
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from online.market_params import EstimatorVersion
from online.unified import UnifiedEstimatorConfig, UnifiedParameterEstimator
from validation.market import MarketSpec, feed_session, simulate_market
from validation.prequential.evaluate import score_all, times_of
from validation.prequential.offset import offset_records, offset_scores_of, session_trades
from validation.prequential.pit_audit import pit_audit
from validation.prequential.probe import PrequentialProbe

ALPHA = 0.001
BLOCK_MS = 10 * 60 * 1000
WARMUP_MS = 5 * 60 * 1000
PRIOR = (5.0, 5.0 / 2500.0)


class KappaScaled:
    """Known-bad variant: an estimator whose reported kappa (mean, sd, interval) is x factor."""

    def __init__(self, estimator: UnifiedParameterEstimator, factor: float = 2.0) -> None:
        self._est, self._factor = estimator, float(factor)

    def params(self) -> Any:
        p, f = self._est.params(), self._factor
        return dataclasses.replace(
            p,
            kappa=p.kappa * f,
            kappa_uncertainty=p.kappa_uncertainty * f,
            kappa_95_lower=p.kappa_95_lower * f,
            kappa_95_upper=p.kappa_95_upper * f,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._est, name)


VARIANTS: dict[str, Callable[[], Any]] = {
    "correct": UnifiedParameterEstimator,
    "kappa_2x": lambda: KappaScaled(UnifiedParameterEstimator(), 2.0),
    "vwap_sigma": lambda: UnifiedParameterEstimator(
        UnifiedEstimatorConfig(
            version=dataclasses.replace(EstimatorVersion.all_enabled(), use_mid_returns=False)
        )
    ),
}


def session_spec(
    rng: np.random.Generator, own_fills: bool = False, duration_s: float = 1800.0
) -> MarketSpec:
    """A session (default 30 minutes) from the model, kappa_market ~ the estimator's prior."""
    kappa = float(rng.gamma(PRIOR[0], 1.0 / PRIOR[1]))
    extra = {"own_fill_rate_per_s": 0.5, "adverse_mean_bps": -2.0, "adverse_sd_bps": 0.5}
    return MarketSpec(duration_s=duration_s, kappa_market=kappa, **(extra if own_fills else {}))


def sim_audit(seed: int, variant: str = "correct", own_fills: bool = False) -> dict[str, dict]:
    """PIT audit per quantity of one seeded session: ``{quantity: {"rejected", ...}}``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13, int(own_fills)]))
    session = simulate_market(session_spec(rng, own_fills), rng)
    probe = PrequentialProbe(VARIANTS[variant]())
    feed_session(session, probe, [])
    start = session.spec.start_ms + WARMUP_MS
    records = {k: v[v["time_ms"] >= start] for k, v in probe.records().items()}
    out = {}
    for quantity, s in score_all(records, rng).items():
        audit = pit_audit(times_of(records, quantity), s.pit, alpha=ALPHA, block_ms=BLOCK_MS)
        out[quantity] = audit.details() | {"rejected": audit.rejected, "n": int(s.pit.size)}
    return out


OFFSET_VARIANTS = ("correct", "count_censored", "kappa_2x")
OFFSET_HALF_SPREAD = 5e-4


def offset_session_spec(rng: np.random.Generator) -> MarketSpec:
    """A 30-minute offset-model session, touch probability and kappa_inside from the priors."""
    kappa = float(rng.gamma(PRIOR[0], 1.0 / PRIOR[1]))
    return MarketSpec(
        duration_s=1800.0,
        kappa_market=kappa,
        pricing="offset",
        touch_prob=float(rng.random()),
        half_spread=OFFSET_HALF_SPREAD,
    )


def sim_offset_audit(seed: int, variant: str = "correct") -> dict[str, dict]:
    """PIT audit of one seeded offset session: ``{"offset_distance": {"rejected", ...}}``."""
    if variant not in OFFSET_VARIANTS:
        raise ValueError(f"variant={variant!r}: must be one of {OFFSET_VARIANTS}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13, 0x6F6666]))
    session = simulate_market(offset_session_spec(rng), rng)
    table = offset_records(session_trades(session), count_censored=variant == "count_censored")
    table = table[table["time_ms"] >= session.spec.start_ms + WARMUP_MS]
    if variant == "kappa_2x":
        table["b"] *= 0.5
    s = offset_scores_of(table, rng)
    audit = pit_audit(table["time_ms"], s.pit, alpha=ALPHA, block_ms=BLOCK_MS)
    res = audit.details() | {"rejected": audit.rejected, "n": int(s.pit.size)}
    return {"offset_distance": res}


def _rates(audits: Any) -> dict[str, Any]:
    counts: dict[str, list[int]] = {}
    for audit in audits:
        for quantity, res in audit.items():
            counts.setdefault(quantity, []).append(int(res["rejected"]))
    return {
        q: {"n": len(v), "rejected": sum(v), "rate": sum(v) / len(v)} for q, v in counts.items()
    }


def rejection_rates(seeds: range, variant: str, own_fills: bool = False) -> dict[str, Any]:
    """Rejections per quantity over ``seeds`` (with n, k and the rate)."""
    return _rates(sim_audit(seed, variant, own_fills) for seed in seeds)


def offset_rejection_rates(seeds: range, variant: str) -> dict[str, Any]:
    """:func:`rejection_rates` of the offset sessions."""
    return _rates(sim_offset_audit(seed, variant) for seed in seeds)


def main(argv: list[str] | None = None) -> None:
    """``python -m validation.prequential.simulated [--seeds N]``: every variant's rates."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100)
    n = parser.parse_args(argv).seeds
    for variant in VARIANTS:
        print(variant, rejection_rates(range(n), variant))
    print("correct, own fills", rejection_rates(range(n), "correct", own_fills=True))
    print("kappa_2x, own fills", rejection_rates(range(n), "kappa_2x", own_fills=True))
    for variant in OFFSET_VARIANTS:
        print(f"offset sessions, {variant}", offset_rejection_rates(range(n), variant))


if __name__ == "__main__":
    main()
