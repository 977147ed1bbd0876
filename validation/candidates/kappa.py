"""Correct candidates of the ``"kappa"`` and ``"hierarchical"`` families, and the market plug-in.

Signatures (see validation/families.py):

- ``"kappa"``: ``(KappaData, GammaPrior) -> GammaPosterior``, the posterior of kappa;
- ``"hierarchical"``: ``(HierarchicalData, kappa_market) -> GammaPosterior``, the posterior of
  kappa_own given the market kappa the estimator is told.

Each streams the scenario through the production estimator of :mod:`online`. Units: distances
are fractions of the mid (1 bp = 1e-4), kappa is in 1/(fraction of mid), timestamps are integer
ms, and every Gamma is shape-RATE.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.gamma_posterior import GammaPosterior
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig
from validation.scenarios import GammaPrior, HierarchicalData, KappaData

MARKET_SPAN_MS = 60_000
"""Market trades carry no timestamps in a scenario; they are spread evenly over this span (ms),
well inside the production 5-minute window, so every trade counts."""


def _stream(distances: np.ndarray, timestamps_ms: np.ndarray) -> Iterator[tuple[float, int]]:
    """(distance, timestamp) pairs as plain Python floats and ints (the estimators' fast path)."""
    d = np.asarray(distances, dtype=float).tolist()
    t = np.asarray(timestamps_ms, dtype=np.int64).tolist()
    return zip(d, t, strict=True)


def conjugate_kappa(data: KappaData, prior: GammaPrior) -> GammaPosterior:
    """Posterior of kappa from a production ``ConjugateBayesianKappa`` with prior ``prior``.

    All other settings are the production defaults (5-minute window, distances floored at
    1e-5), so the result is Gamma(a0 + n, b0 + sum max(d_i, 1e-5)) over the fills in the
    window ending at the last fill.
    """
    est = ConjugateBayesianKappa(
        ConjugateKappaConfig(prior_alpha=prior.alpha, prior_beta=prior.beta)
    )
    for d, t in _stream(data.distances, data.timestamps_ms):
        est.update(d, t)
    return est.posterior


def hierarchical_kappa(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    """Posterior of kappa_own from a production ``HierarchicalKappa``.

    Concentration a0 = ``data.a0``; told ``kappa_market`` with confidence 1 (prior
    Gamma(a0, a0 / kappa_market)); then fed the own fills. Result:
    Gamma(a0 + n, a0 / kappa_market + sum d) over the fills in the window.
    """
    est = HierarchicalKappa(HierarchicalKappaConfig(prior_alpha=data.a0))
    est.update_market_kappa(float(kappa_market), 1.0)
    for d, t in _stream(data.own_distances, data.own_timestamps_ms):
        est.update_from_fill(d, t)
    return est.posterior


def market_timestamps(n: int, span_ms: int = MARKET_SPAN_MS) -> np.ndarray:
    """n integer timestamps (ms) spread evenly over ``[0, span_ms)``, non-decreasing."""
    return np.arange(n, dtype=np.int64) * span_ms // max(n, 1)


def market_kappa_plugin(data: HierarchicalData, market_prior: GammaPrior) -> float:
    """The production plug-in kappa_market: posterior mean of a ``ConjugateBayesianKappa``.

    The estimator has prior ``market_prior`` (production defaults otherwise) and is fed the
    market distances at :func:`market_timestamps`; the plug-in is its posterior mean
    (A + M) / (B + sum x) for M market distances x (floored at 1e-5).
    """
    est = ConjugateBayesianKappa(
        ConjugateKappaConfig(prior_alpha=market_prior.alpha, prior_beta=market_prior.beta)
    )
    n = len(data.market_distances)
    for d, t in _stream(data.market_distances, market_timestamps(n)):
        est.update(d, t)
    return est.posterior.mean
