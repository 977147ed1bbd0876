"""Known-bad candidates of the ``"hierarchical"`` family:
``(HierarchicalData, kappa_market) -> PosteriorLike`` (posterior of kappa_own).

The correct candidate is the hierarchical conjugate posterior
Gamma(a0 + n, a0 / kappa_market + sum d) over the own fills. The blending bugs produce a point
estimate, not a posterior; to make them comparable they are returned as
Gamma(a0 + n, (a0 + n) / kappa_blend): the shape of the correct own posterior (so its
coefficient of variation 1/sqrt(a0 + n) is the one the correct posterior has with the same
data) and the blended value as its mean. Only the location is wrong, which is what the blend
gets wrong.

Each candidate feeds the fills through production code: :func:`linear_blend_kappa` through
``online.legacy.LinearBlendKappa`` (the V1 class ``EstimatorVersion.legacy_v1()`` runs, whose
posterior is that Gamma), :func:`bp_units_hierarchical` through
``online.hierarchical_kappa.HierarchicalKappa`` with the wrong units, and
:func:`prior_confidence_blend` takes its own-fill posterior from
``online.conjugate_kappa.ConjugateBayesianKappa``; only that candidate's blend weight (a
production bug with no counterpart left in ``online/``) is computed here.
"""

from __future__ import annotations

import math

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.gamma_posterior import GammaPosterior
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig
from online.legacy import LinearBlendKappa, LinearBlendKappaConfig
from validation.catalogue.kappa_bugs import BPS_PER_UNIT
from validation.scenarios import HierarchicalData


def _blend_posterior(a0: float, n: int, kappa_blend: float) -> GammaPosterior:
    """Gamma with the correct own posterior's shape a0 + n and mean kappa_blend."""
    shape = a0 + n
    return GammaPosterior(shape, shape / kappa_blend)


def linear_blend_kappa(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    """Legacy V1: kappa = c * n / sum d + (1 - c) * kappa_market with c = n / (n + a0).

    The own fills are fed to ``online.legacy.LinearBlendKappa`` (pseudo-count ``data.a0``,
    default window and distance floor) after ``update_market_kappa(kappa_market)``; its
    posterior Gamma(a0 + n, (a0 + n) / kappa) is returned (kappa = kappa_market with no fill).

    >>> import numpy as np
    >>> data = HierarchicalData(np.array([1e-3, 3e-3]), np.array([0, 10]), np.zeros(0),
    ...                         2000.0, 2000.0, 2.0)
    >>> post = linear_blend_kappa(data, 2000.0)  # c = 1/2: (2 / 0.004 + 2000) / 2
    >>> round(post.mean, 9), post.alpha
    (1250.0, 4.0)
    """
    est = LinearBlendKappa(LinearBlendKappaConfig(prior_alpha=data.a0))
    est.update_market_kappa(kappa_market)
    for d, t in zip(data.own_distances, data.own_timestamps_ms, strict=True):
        est.update_from_fill(float(d), int(t))
    return est.posterior


def prior_confidence(alpha: float) -> float:
    """Confidence 1 / (1 + CV) of a Gamma(alpha, .) posterior, CV = sd / mean = 1 / sqrt(alpha).

    With the production prior alone (alpha = 5): 1 / (1 + 1/sqrt(5)) = 0.691.
    """
    return 1.0 / (1.0 + 1.0 / math.sqrt(alpha))


def prior_confidence_blend(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    """Production: kappa = c * own_mean + (1 - c) * kappa_market, where own_mean is the mean of a
    production ``ConjugateBayesianKappa`` (default prior Gamma(5, 5/2500)) fed the own fills and
    c = prior_confidence(its posterior shape), which is 0.69 with no fill at all.
    """
    est = ConjugateBayesianKappa(ConjugateKappaConfig())
    for d, t in zip(data.own_distances, data.own_timestamps_ms, strict=True):
        est.update(float(d), int(t))
    post = est.posterior
    conf = prior_confidence(post.alpha)
    kappa = conf * post.mean + (1.0 - conf) * kappa_market
    return _blend_posterior(data.a0, est.observation_count, kappa)


def bp_units_hierarchical(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    """Production units bug: own-fill distances in bp (d * 1e4) fed to a ``HierarchicalKappa``
    whose prior (kappa_market) is in fractional units:
    Gamma(a0 + n, a0 / kappa_market + 1e4 * sum d).
    """
    est = HierarchicalKappa(HierarchicalKappaConfig(prior_alpha=data.a0))
    est.update_market_kappa(kappa_market, 1.0)
    for d, t in zip(data.own_distances, data.own_timestamps_ms, strict=True):
        est.update_from_fill(float(d) * BPS_PER_UNIT, int(t))
    return est.posterior
