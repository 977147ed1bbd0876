"""Severity of the end-to-end checks whose statistic is a bias or a calibration z: the
smallest distortion of the production estimator's output each detects with 80% and 99%
power, by the check itself on its own sessions (:mod:`validation.calibration.severity` for
the power curve, the crossing and the command line).

Each seed runs the real check with a distorted ``"unified"`` candidate: the production
``run_unified`` output on the session, then one field family transformed. The undistorted run
of a session is computed once per seed and reused at every grid magnitude (the sessions of a
seed are the same at every magnitude: common seeds), so a grid point costs the simulation and
the verdict, not the estimator. Distortions, chosen to be what each check's statistic tests:

- ``e2e.sigma_bias`` (a t-test of ln(sigma^2 / true sigma^2)): ``sigma`` and
  ``sigma_effective`` x (1 + b) at every checkpoint, the relative bias of a wrong variance
  rate (both fields come from the same rates). It adds exactly 2 ln(1 + b) to every
  session's statistic, so b is measured on top of the production estimator's own finite-
  session bias (0.87-0.95 of the truth with one trade per bucket in 20-minute sessions);
- ``e2e.kappa_sbc`` (PIT, coverage and the reported interval's coverage of the reported
  kappa Gamma): that Gamma distorted by :func:`validation.calibration.severity.distort`
  (sd x s with the mean kept, both ways; mean + delta sd with the sd kept), reported as
  ``kappa``, ``kappa_uncertainty`` and its 2.5% / 97.5% quantiles as the interval;
- ``e2e.jump_calibration`` (martingale z-scores of y - P(jump)): P(jump) made over- (c > 1)
  or under-confident (c < 1) by a logit scale factor, logit p' = c logit p, in every bucket,
  and the reported toxicity moved by the EWMA of the change, tox' = tox + sum w (p' - p) /
  sum w (weights :func:`validation.endtoend.jump_calibration.toxicity_weights` over the
  classified buckets up to the checkpoint), so the toxicity stays the EWMA of its P(jump);
- ``e2e.kappa_joint_mcmc`` (MCSE + 0.35 sd tolerances of the reported kappa Gamma against
  NUTS draws of the joint model): the reported Gamma distorted as for ``e2e.kappa_sbc``,
  against the same NUTS fit of the seed (memoised by the check);
- ``e2e.prequential_pit`` (PIT uniformity and Ljung-Box of the trade-distance Lomax and the
  bucket-return normal predictives): one predictive scaled by s, both ways
  (:func:`scaled_predictive`): the distance predictive as that of s x distance, or the
  return sd sigma x s.

Run (a seed runs the check's estimator once, 1.5-8 s on an idle machine, plus one verdict
per grid point, 0.5-7 s; fewer seeds than the calibration targets for that reason)::

    python -m validation.endtoend.severity --check e2e.jump_calibration --seeds 30 --write
    python -m validation.endtoend.severity --check e2e.sigma_bias --seeds 20 --write
    python -m validation.endtoend.severity --check e2e.kappa_sbc --seeds 20 --write
    python -m validation.endtoend.severity --check e2e.kappa_joint_mcmc --seeds 100 --write
    python -m validation.endtoend.severity --check e2e.prequential_pit --seeds 50 --write

Example (the distortion of P(jump) by a logit scale factor)::

    >>> [round(float(x), 4) for x in logit_scaled(np.array([0.5, 0.9, 0.01]), 2.0)]
    [0.5, 0.9878, 0.0001]
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence

import numpy as np
from scipy import special, stats

from online.market_params import MarketParams
from validation.calibration import severity as sv
from validation.endtoend.jump_calibration import NAME as JUMP_CALIBRATION
from validation.endtoend.jump_calibration import run_jump_calibration, toxicity_weights
from validation.endtoend.kappa_joint import NAME as KAPPA_JOINT
from validation.endtoend.kappa_joint import run_kappa_joint
from validation.endtoend.kappa_sbc import NAME as KAPPA_SBC
from validation.endtoend.kappa_sbc import run_kappa_sbc
from validation.endtoend.sigma_bias import NAME as SIGMA_BIAS
from validation.endtoend.sigma_bias import run_sigma_bias
from validation.families import Candidate
from validation.market.feed import SessionRun, run_unified
from validation.market.simulate import MarketSession
from validation.prequential.gate import NAME as PREQUENTIAL_PIT
from validation.prequential.gate import run_prequential_pit
from validation.results import CheckResult

Distortion = Callable[[SessionRun, str, float], SessionRun]


def _session_key(session: MarketSession, checkpoints_ms: Sequence[int]) -> bytes:
    h = hashlib.sha256(np.asarray(checkpoints_ms, dtype=np.int64).tobytes())
    for a in (session.times_ms, session.prices, session.sizes, session.adverse_bps):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.digest()


def run_cache(candidate: Candidate) -> sv.OutputCache:
    """The undistorted candidate output per session, kept for one seed."""
    return sv.OutputCache(candidate, _session_key)


def logit_scaled(p: np.ndarray, factor: float) -> np.ndarray:
    """expit(factor logit p): P(jump) over-confident for factor > 1, under- for < 1 (0 and 1
    stay)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        return special.expit(factor * special.logit(p))


def scaled_sigma(run: SessionRun, direction: str, factor: float) -> SessionRun:
    """``sigma`` and ``sigma_effective`` x ``factor`` = 1 + b at every checkpoint."""
    params = tuple(
        dataclasses.replace(p, sigma=p.sigma * factor, sigma_effective=p.sigma_effective * factor)
        for p in run.params
    )
    return dataclasses.replace(run, params=params)


def distorted_kappa(run: SessionRun, direction: str, magnitude: float) -> SessionRun:
    """The reported kappa Gamma distorted (:func:`validation.calibration.severity.distort`)."""
    kind = sv.distortion_kind(direction)

    def one(p: MarketParams) -> MarketParams:
        if not (np.isfinite(p.kappa) and np.isfinite(p.kappa_uncertainty)):
            return p
        if p.kappa <= 0.0 or p.kappa_uncertainty <= 0.0:
            return p
        a, b = (p.kappa / p.kappa_uncertainty) ** 2, p.kappa / p.kappa_uncertainty**2
        shape, rate = (float(x) for x in sv.distort(np.array(a), np.array(b), kind, magnitude))
        lo, hi = stats.gamma.interval(0.95, shape, scale=1.0 / rate)
        return dataclasses.replace(
            p,
            kappa=shape / rate,
            kappa_uncertainty=shape**0.5 / rate,
            kappa_95_lower=float(lo),
            kappa_95_upper=float(hi),
        )

    return dataclasses.replace(run, params=tuple(one(p) for p in run.params))


def distorted_jumps(run: SessionRun, direction: str, factor: float) -> SessionRun:
    """P(jump) of every bucket logit-scaled, toxicity moved by the EWMA of the change."""
    p = np.array([np.nan if b.p_jump is None else b.p_jump for b in run.buckets])
    end = np.array([b.end_ms for b in run.buckets], dtype=np.int64)
    q = logit_scaled(p, factor)
    buckets = tuple(
        dataclasses.replace(b, p_jump=None if b.p_jump is None else float(x))
        for b, x in zip(run.buckets, q, strict=True)
    )
    params = []
    for cp, par in zip(run.checkpoints_ms, run.params, strict=True):
        classified = np.isfinite(p) & (end <= cp)
        w = toxicity_weights(int(classified.sum()))
        if w.size and np.isfinite(par.toxicity_score):
            moved = float(np.sum(w * (q[classified] - p[classified])) / np.sum(w))
            par = dataclasses.replace(par, toxicity_score=par.toxicity_score + moved)
        params.append(par)
    return dataclasses.replace(run, buckets=buckets, params=tuple(params))


def scaled_predictive(run: SessionRun, direction: str, factor: float) -> SessionRun:
    """The predictives of ``e2e.prequential_pit`` scaled by ``factor``: for a ``"distance
    ..."`` direction the trade-distance Lomax of the reported kappa Gamma(a, b) (P(D > d) =
    (b / (b + d))^a) becomes that of s D, i.e. rate b s: kappa, its sd and its interval / s;
    for a ``"return ..."`` direction the bucket-return sd, ``sigma`` x s
    (:func:`scaled_sigma`)."""
    if direction.startswith("return"):
        return scaled_sigma(run, direction, factor)
    params = tuple(
        dataclasses.replace(
            p,
            kappa=p.kappa / factor,
            kappa_uncertainty=p.kappa_uncertainty / factor,
            kappa_95_lower=p.kappa_95_lower / factor,
            kappa_95_upper=p.kappa_95_upper / factor,
        )
        for p in run.params
    )
    return dataclasses.replace(run, params=params)


def _detects(
    run_check: Callable[[Candidate, int], CheckResult], distortion: Distortion
) -> Callable[[str, float, int], bool]:
    cache = run_cache(run_unified)

    def detects(direction: str, magnitude: float, seed: int) -> bool:
        def candidate(session: MarketSession, checkpoints_ms: Sequence[int]) -> SessionRun:
            return distortion(cache.run(seed, session, checkpoints_ms), direction, magnitude)

        return run_check(candidate, seed).failed

    return detects


D = sv.Direction
SIGMA_DISTORTION = "sigma and sigma_effective x (1 + b); magnitude 1 + b"
TARGETS: dict[str, sv.Target] = {
    SIGMA_BIAS: sv.Target(
        SIGMA_BIAS,
        "the check: 5 scenarios x 8 sessions of 20 minutes, alpha 0.001",
        (
            D("bias > 0", SIGMA_DISTORTION, (1.0, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30, 1.40)),
            D("bias < 0", SIGMA_DISTORTION, (1.0, 0.95, 0.90, 0.85, 0.80, 0.75, 0.70, 0.60)),
        ),
        _detects(run_sigma_bias, scaled_sigma),
    ),
    KAPPA_SBC: sv.Target(
        KAPPA_SBC,
        "the check: 100 sessions x 3 checkpoints, alpha 0.001",
        (
            D("scale > 1", sv.SD_SCALE_UP.distortion, (1.0, 1.3, 1.4, 1.5, 1.6, 1.75)),
            D("scale < 1", sv.SD_SCALE_DOWN.distortion, (1.0, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6)),
            D("shift", sv.MEAN_SHIFT.distortion, (0.0, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6)),
        ),
        _detects(run_kappa_sbc, distorted_kappa),
    ),
    JUMP_CALIBRATION: sv.Target(
        JUMP_CALIBRATION,
        "the check: 8 sessions of 20 minutes, alpha 0.001",
        (
            D(
                "logit > 1",
                "logit P(jump) x c (over-confident)",
                (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0),
            ),
            D(
                "logit < 1",
                "logit P(jump) x c (under-confident)",
                (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7),
            ),
        ),
        _detects(run_jump_calibration, distorted_jumps),
    ),
    KAPPA_JOINT: sv.Target(
        KAPPA_JOINT,
        "the check: one session, one NUTS fit per seed (4 x 1000), alpha 0.001, 0.35 sd "
        "approximation allowance",
        (
            D(
                "scale > 1",
                sv.SD_SCALE_UP.distortion,
                (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2.0),
            ),
            D("scale < 1", sv.SD_SCALE_DOWN.distortion, (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4)),
            D("shift", sv.MEAN_SHIFT.distortion, (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)),
        ),
        _detects(run_kappa_joint, distorted_kappa),
    ),
    PREQUENTIAL_PIT: sv.Target(
        PREQUENTIAL_PIT,
        "the check: one 15-minute session, about 600 trades and 110 bucket returns, alpha 0.001",
        (
            D(
                "distance s > 1",
                "trade-distance Lomax predictive of s x distance (kappa Gamma rate x s)",
                (1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.5),
            ),
            D(
                "distance s < 1",
                "trade-distance Lomax predictive of s x distance (kappa Gamma rate x s)",
                (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6),
            ),
            D(
                "return s > 1",
                "bucket-return predictive sd (sigma) x s",
                (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2.0),
            ),
            D(
                "return s < 1",
                "bucket-return predictive sd (sigma) x s",
                (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4),
            ),
        ),
        _detects(run_prequential_pit, scaled_predictive),
    ),
}
"""Severity targets of the end-to-end checks, by check name."""


def main(argv: list[str] | None = None) -> list[sv.SeverityRow]:
    """``python -m validation.endtoend.severity``: the command line of
    :func:`validation.calibration.severity.main` on :data:`TARGETS`."""
    return sv.main(argv, TARGETS, prog="validation.endtoend.severity")


if __name__ == "__main__":
    main()
