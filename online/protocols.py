"""What an estimator must offer to fill a role in :class:`online.unified.UnifiedParameterEstimator`.

Each role has one protocol, and the V2 estimator and its V1 counterpart (:mod:`online.legacy`)
both satisfy it, so the unified estimator holds components by role and calls one method
whichever version the flags select:

========================  ===================================  ==============================
role                      V2                                   V1
========================  ===================================  ==============================
:class:`MarketKappa`      ``ConjugateBayesianKappa``           ``VolumeWeightedKappa``
:class:`OwnKappa`         ``HierarchicalKappa``                ``LinearBlendKappa``
:class:`JumpClassifier`   ``SoftJumpClassifier``               ``BinaryJumpClassifier``
:class:`TimedVariance`    (bipower variance rates)             ``OneSecondEWMAVariance``
========================  ===================================  ==============================

Every estimator also has a ``config`` and an exact JSON round trip (``state_dict()``,
``from_state_dict()``, :class:`online.serialization.Stateful`). Units as everywhere: distances
are fractions of the mid, kappa in 1 / (fraction of the mid), Gamma shape-rate, timestamps ms.

The protocols are ``runtime_checkable``, so ``isinstance`` checks that the methods exist:

>>> from online import BinaryJumpClassifier, SoftJumpClassifier
>>> all(isinstance(c(1e-3), JumpClassifier) for c in (SoftJumpClassifier, BinaryJumpClassifier))
True
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from online.gamma_posterior import GammaPosterior


@runtime_checkable
class MarketKappa(Protocol):
    """kappa from market trades: a Gamma posterior over a rolling window of trade distances."""

    def update_from_trade(self, distance: float, size: float, timestamp_ms: int) -> None:
        """One market trade at ``distance`` of ``size`` (> 0) shares."""

    def advance(self, timestamp_ms: int) -> None:
        """Move the clock and evict old trades."""

    @property
    def observation_count(self) -> int:
        """Trades in the window."""

    @property
    def posterior(self) -> GammaPosterior:
        """The kappa posterior over the window."""


@runtime_checkable
class OwnKappa(Protocol):
    """kappa from our own fills, with a prior centred on the market's kappa."""

    def update_from_fill(
        self, distance: float, timestamp_ms: int, adverse_move_bps: float | None = None
    ) -> None:
        """One own fill at ``distance``; ``adverse_move_bps`` optional (bp, + = adverse)."""

    def update_market_kappa(self, kappa: float, conf: float) -> None:
        """Centre the prior on ``kappa`` with confidence ``conf`` in (0, 1]."""

    def advance(self, timestamp_ms: int) -> None:
        """Move the clock and evict old fills."""

    @property
    def prior_alpha(self) -> float:
        """a0, the prior pseudo-count of fills."""

    @property
    def is_ready(self) -> bool:
        """Enough fills in the window to quote from."""

    @property
    def effective_posterior(self) -> GammaPosterior:
        """The posterior of the kappa to quote with (adjustments such as adverse selection
        included)."""


@runtime_checkable
class JumpClassifier(Protocol):
    """P(jump | return) with a diffusive yardstick sigma_d, and a toxicity score."""

    def jump_probability(self, log_return: float) -> float:
        """P(jump | r) under the current parameters (no state change)."""

    def update(self, log_return: float) -> float:
        """Classify ``log_return``, learn from it, return P(jump | r) before learning."""

    def set_sigma_diffusion(self, sigma: float) -> None:
        """Replace sigma_d (log-return units, > 0)."""

    def toxicity_score(self) -> float | None:
        """EWMA of P(jump), ``None`` while too few returns were seen."""

    def next_mixture(self, sigma_diffusion: float) -> tuple[float, float, float] | None:
        """(pi, sigma_d, sigma_j) a next update with yardstick ``sigma_diffusion`` would use,
        or ``None`` for a classifier without a mixture."""


@runtime_checkable
class TimedVariance(Protocol):
    """A variance of timestamped observations, also as a rate per second."""

    def update(self, observation: float, timestamp_ms: int) -> None:
        """Fold in ``observation`` seen at ``timestamp_ms``."""

    @property
    def variance(self) -> float | None:
        """Variance per observation; ``None`` before data."""

    @property
    def sigma_per_sqrt_s(self) -> float | None:
        """Standard deviation per sqrt(second); ``None`` before data."""
