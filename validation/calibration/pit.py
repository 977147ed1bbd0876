"""Calibration statistics of one SBC replication: exact-CDF PIT and thinned MCMC ranks.

SBC (Talts et al. 2018; Modrak et al. 2023): draw theta ~ prior, data ~ p(data | theta), compute
the posterior. If the posterior is exact, both statistics below are uniform over replications:

- exact PIT u = F(theta | data) for a closed-form posterior CDF F: continuous U(0, 1);
- rank r = #{l : theta_l < theta} of theta among L (approximately) independent posterior draws
  theta_1..theta_L: discrete uniform on 0..L.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from validation.families import PosteriorLike


def exact_pit(posteriors: Sequence[PosteriorLike], thetas: np.ndarray) -> np.ndarray:
    """u_k = F_k(theta_k): each posterior's CDF at its own true parameter."""
    t = np.asarray(thetas, dtype=float)
    if len(posteriors) != t.size:
        raise ValueError(f"{len(posteriors)} posteriors but {t.size} parameters")
    return np.array([float(p.cdf(x)) for p, x in zip(posteriors, t.tolist(), strict=True)])


def thin_draws(draws: np.ndarray, ess: float, n_keep: int) -> np.ndarray:
    """``n_keep`` approximately independent draws out of ``draws`` (shape (chains, draws)).

    Each chain is thinned by the factor t = ceil(chains * draws / ess), so that the kept draws
    are about one effective sample apart; then ``n_keep`` of the thinned draws are taken at
    evenly spaced positions (all chains, in chain order).

    Raises:
        ValueError: if fewer than ``n_keep`` thinned draws remain (the ESS is too small).
    """
    x = np.atleast_2d(np.asarray(draws, dtype=float))
    if not (math.isfinite(ess) and ess > 0):
        raise ValueError(f"ess={ess!r}: must be finite and > 0")
    step = max(1, math.ceil(x.size / ess))
    thinned = x[:, ::step].ravel()
    if thinned.size < n_keep:
        raise ValueError(
            f"only {thinned.size} draws after thinning by {step} (ess {ess:.0f}); need {n_keep}"
        )
    idx = np.round(np.linspace(0, thinned.size - 1, n_keep)).astype(np.int64)
    return thinned[idx]


def rank_statistic(theta: float, draws: np.ndarray) -> int:
    """Number of draws strictly below theta: an integer in 0..len(draws)."""
    return int(np.count_nonzero(np.asarray(draws, dtype=float) < theta))


def fractional_ranks(ranks: np.ndarray, n_draws: int) -> np.ndarray:
    """(r + 1/2) / (L + 1) for ranks r in 0..L (L = ``n_draws``): the mid-points of the L + 1
    equal cells of [0, 1], so the ECDF at every cell boundary m / (L + 1) is exact.
    """
    r = np.asarray(ranks, dtype=np.int64)
    if np.any((r < 0) | (r > n_draws)):
        raise ValueError(f"ranks must lie in 0..{n_draws}")
    return (r + 0.5) / (n_draws + 1)


@dataclass(frozen=True)
class ReplicationMoments:
    """Per SBC replication: the simulated parameter, the posterior mean and sd, the ranked
    calibration statistics and whether the replication entered the verdict (a typed part of a
    check's details, drawn by the report's recovery and contraction panels and listed in its
    per-replication table).

    Attributes:
        theta, posterior_mean, posterior_sd: one value per replication (parameter units).
        ranked: named per-replication statistics in [0, 1] or ranks, e.g. ``{"PIT": u}``.
        usable: per-replication flag (None: every replication is usable).

    Example::

        >>> m = ReplicationMoments(np.array([1.0, 2.0]), np.array([1.5, 1.5]), np.array([0.5, 1.0]))
        >>> m.z.tolist(), m.usable_flags.tolist()
        ([1.0, -0.5], [True, True])
    """

    theta: np.ndarray
    posterior_mean: np.ndarray
    posterior_sd: np.ndarray
    ranked: dict[str, np.ndarray] = field(default_factory=dict)
    usable: np.ndarray | None = None

    @property
    def z(self) -> np.ndarray:
        """Posterior z-score (mean - theta) / sd of each replication."""
        return (self.posterior_mean - self.theta) / self.posterior_sd

    @property
    def usable_flags(self) -> np.ndarray:
        """``usable``, or all True."""
        if self.usable is None:
            return np.ones(self.theta.size, dtype=bool)
        return np.asarray(self.usable, dtype=bool)

    def to_json(self) -> dict[str, object]:
        return {
            "theta": self.theta.tolist(),
            "posterior_mean": self.posterior_mean.tolist(),
            "posterior_sd": self.posterior_sd.tolist(),
            "ranked": {k: np.asarray(v).tolist() for k, v in self.ranked.items()},
            "usable": self.usable_flags.tolist(),
        }
