"""Known-bad candidates of the ``"kappa"`` family: ``(KappaData, GammaPrior) -> PosteriorLike``.

Each returns a posterior of kappa (rate of the exponential fill-distance law, in 1/(fraction of
mid)) as an ``online.GammaPosterior`` (shape-rate). The correct candidate is the conjugate
Gamma(a0 + n, b0 + sum d) over the floored, windowed distances.

Where production code carries the flaw, the candidate feeds the data through it:
:func:`volume_weighted_kappa` through ``online.legacy.VolumeWeightedKappa`` (the V1 class
``EstimatorVersion.legacy_v1()`` runs), :func:`bp_units_kappa` through
``online.conjugate_kappa.ConjugateBayesianKappa`` with the wrong units. The Student-t update of
:func:`robust_t_kappa` has no counterpart in ``online/`` (the production estimator it came from
was replaced), so it is re-implemented here on the production window and floor.
"""

from __future__ import annotations

import numpy as np

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.gamma_posterior import GammaPosterior
from online.legacy import VolumeWeightedKappa, VolumeWeightedKappaConfig
from validation.catalogue._window import floored, window_mask
from validation.scenarios import GammaPrior, KappaData

BPS_PER_UNIT = 1e4
"""Basis points per unit fraction of the mid (1 bp = 1e-4)."""

STUDENT_T_NU = 4.0
_IRLS_ITERATIONS = 200
_IRLS_RTOL = 1e-12


def volume_weighted_kappa(data: KappaData, prior: GammaPrior) -> GammaPosterior:
    """Legacy V1: Gamma(a0 + sum v_i, b0 + sum v_i d_i), the volume v_i as observation count.

    The trades are fed to ``online.legacy.VolumeWeightedKappa`` (prior ``prior``, default
    window and distance floor, the same as ``ConjugateBayesianKappa``'s) and its posterior
    returned.

    >>> import numpy as np
    >>> data = KappaData(np.array([1e-3, 2e-3]), np.array([0, 10]), np.array([3.0, 1.0]), 1e3)
    >>> post = volume_weighted_kappa(data, GammaPrior(5.0, 5.0 / 2500.0))
    >>> round(post.alpha, 9), round(post.beta, 9)  # (5 + 3 + 1, 0.002 + 3e-3 + 2e-3)
    (9.0, 0.007)
    """
    est = VolumeWeightedKappa(
        VolumeWeightedKappaConfig(prior_alpha=prior.alpha, prior_beta=prior.beta)
    )
    for d, v, t in zip(data.distances, data.volumes, data.timestamps_ms, strict=True):
        est.update(float(d), float(v), int(t))
    return est.posterior


def bp_units_kappa(data: KappaData, prior: GammaPrior) -> GammaPosterior:
    """Production units bug: distances in bp (d * 1e4) fed to an estimator whose prior is in
    fractional units. Returns the estimator's posterior as if it were in fractional units:
    Gamma(a0 + n, b0 + 1e4 * sum d), mean about kappa / 1e4.
    """
    est = ConjugateBayesianKappa(
        ConjugateKappaConfig(prior_alpha=prior.alpha, prior_beta=prior.beta)
    )
    for d, t in zip(data.distances, data.timestamps_ms, strict=True):
        est.update(float(d) * BPS_PER_UNIT, int(t))
    return est.posterior


def student_t_weights(distances: np.ndarray, kappa: float, nu: float = STUDENT_T_NU) -> np.ndarray:
    """Student-t IRLS weights of the standardised distances z_i = kappa * d_i:
    w_i = (nu + 1) / (nu + z_i^2).
    """
    z = kappa * distances
    return (nu + 1.0) / (nu + z * z)


def _t_weighted_posterior(d: np.ndarray, prior: GammaPrior, kappa: float) -> GammaPosterior:
    w = student_t_weights(d, kappa)
    return GammaPosterior(prior.alpha + float(np.sum(w)), prior.beta + float(np.sum(w * d)))


def robust_t_kappa(data: KappaData, prior: GammaPrior) -> GammaPosterior:
    """Production: Student-t weighted conjugate update without consistency correction.

    Gamma(a0 + sum w_i, b0 + sum w_i d_i) with w_i = student_t_weights(d, kappa_hat), iterated
    from the conjugate posterior mean to the fixed point kappa_hat = posterior mean.
    """
    d = floored(data.distances[window_mask(data.timestamps_ms)])
    post = GammaPosterior(prior.alpha + d.size, prior.beta + float(np.sum(d)))
    for _ in range(_IRLS_ITERATIONS):
        new = _t_weighted_posterior(d, prior, post.mean)
        if abs(new.mean - post.mean) <= _IRLS_RTOL * post.mean:
            return new
        post = new
    return post
