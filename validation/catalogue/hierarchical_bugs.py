"""Known-bad candidates of the ``"hierarchical"`` family:
``(HierarchicalData, kappa_market) -> PosteriorLike`` (posterior of kappa_own).

The correct candidate is the hierarchical conjugate posterior
Gamma(a0 + n, a0 / kappa_market + sum d) over the own fills. The blending bugs produce a point
estimate, not a posterior; to make them comparable they are returned as
Gamma(a0 + n, (a0 + n) / kappa_blend): the shape of the correct own posterior (so its
coefficient of variation 1/sqrt(a0 + n) is the one the correct posterior has with the same
data) and the blended value as its mean. Only the location is wrong, which is what the blend
gets wrong. Fills are floored and windowed as in the production ``HierarchicalKappa``.
"""

from __future__ import annotations

import math

import numpy as np

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.gamma_posterior import GammaPosterior
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig
from validation.catalogue._window import floored, window_mask
from validation.catalogue.kappa_bugs import BPS_PER_UNIT
from validation.scenarios import HierarchicalData

_CONFIG = HierarchicalKappaConfig()


def _own_distances(data: HierarchicalData) -> np.ndarray:
    """The floored own-fill distances in the window ending at the last fill."""
    keep = window_mask(data.own_timestamps_ms, _CONFIG.window_ms)
    return floored(data.own_distances[keep], _CONFIG.min_distance)


def _blend_posterior(a0: float, n: int, kappa_blend: float) -> GammaPosterior:
    """Gamma with the correct own posterior's shape a0 + n and mean kappa_blend."""
    shape = a0 + n
    return GammaPosterior(shape, shape / kappa_blend)


def linear_blend_kappa(data: HierarchicalData, kappa_market: float) -> GammaPosterior:
    """Legacy V1: kappa = c * n / sum d + (1 - c) * kappa_market with c = n / (n + a0).

    kappa = kappa_market when there is no own fill.
    """
    d = _own_distances(data)
    n = d.size
    if n == 0:
        return _blend_posterior(data.a0, 0, kappa_market)
    own_conf = n / (n + data.a0)
    kappa = own_conf * n / float(np.sum(d)) + (1.0 - own_conf) * kappa_market
    return _blend_posterior(data.a0, n, kappa)


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
