"""Conjugate Gamma-Exponential kappa over a rolling time window.

Model: distances d_i ~ Exp(kappa) (rate kappa, density kappa exp(-kappa d)), prior
kappa ~ Gamma(a0, b0) in shape-RATE form. The posterior given the n distances in the window is

    kappa | d ~ Gamma(a0 + n, b0 + sum_i d_i)

with n the COUNT of observations (never a volume). Units: a distance is |price - mid| / mid (a
fraction of the mid; 1 bp = 1e-4), so kappa is in 1/(fraction of mid); the default prior
Gamma(5, 5/2500) has mean 2500, i.e. a mean distance of 4e-4 (4 bp).

Window: an update at ``timestamp_ms = now`` first evicts every observation with
``timestamp_ms <= now - window_ms``, then adds the new one; the posterior is therefore over the
half-open interval ``(now - window_ms, now]``. An observation exactly ``window_ms`` old is out.
"""

from __future__ import annotations

from dataclasses import dataclass

from online import _checks
from online.errors import InvalidInputError
from online.gamma_posterior import GammaPosterior
from online.heavy_tail import HeavyTailConfig, HeavyTailDetector, coefficient_of_variation
from online.rolling_sums import (
    RollingWindow,
    check_non_negative,
    check_positive,
    check_timestamp,
    check_window_ms,
)
from online.serialization import OPTIONAL_INT, WINDOW, Component, StateField, Stateful


@dataclass(frozen=True)
class ConjugateKappaConfig:
    """Production defaults of the trade/fill kappa estimator.

    Attributes:
        prior_alpha: a0, Gamma prior shape (> 0; pseudo-count of observations).
        prior_beta: b0, Gamma prior RATE in fraction-of-mid units (> 0; pseudo sum of
            distances). Default 5/2500: prior mean a0/b0 = 2500 (mean distance 4 bp).
        window_ms: rolling window length in ms (integer > 0). Default 5 minutes.
        min_distance: distances are floored at this value (fraction of mid, >= 0); 0 disables
            the floor. Default 1e-5 (0.1 bp).
        cv_threshold, heavy_tail_fraction, heavy_tail_min_updates: the heavy-tail rule, see
            :mod:`online.heavy_tail`.
    """

    prior_alpha: float = 5.0
    prior_beta: float = 5.0 / 2500.0
    window_ms: int = 300_000
    min_distance: float = 1e-5
    cv_threshold: float = 1.2
    heavy_tail_fraction: float = 0.8
    heavy_tail_min_updates: int = 100

    def __post_init__(self) -> None:
        _checks.positive("prior_alpha", self.prior_alpha)
        _checks.positive("prior_beta", self.prior_beta)
        check_window_ms(self.window_ms)
        _checks.non_negative("min_distance", self.min_distance)
        names = {"heavy_fraction": "heavy_tail_fraction", "min_updates": "heavy_tail_min_updates"}
        try:
            self.heavy_tail_config()
        except InvalidInputError as exc:  # name the field of this config, not the inner one
            field = names.get(exc.field, exc.field)
            raise InvalidInputError(field, exc.value, exc.reason) from None

    def heavy_tail_config(self) -> HeavyTailConfig:
        """The :class:`HeavyTailConfig` these settings describe."""
        return HeavyTailConfig(
            cv_threshold=self.cv_threshold,
            heavy_fraction=self.heavy_tail_fraction,
            min_updates=self.heavy_tail_min_updates,
        )


class ConjugateBayesianKappa(Stateful):
    """Streaming Gamma(a0 + n, b0 + sum d) posterior for kappa; O(1) amortised per update.

    >>> est = ConjugateBayesianKappa()  # prior Gamma(5, 5/2500)
    >>> for i, d in enumerate([3e-4, 5e-4, 4e-4]):
    ...     est.update(d, timestamp_ms=1_000 * i)
    >>> est.posterior.alpha, round(est.posterior.mean, 6)  # Gamma(5 + 3, 0.002 + 0.0012)
    (8.0, 2500.0)
    """

    _state_config = ConjugateKappaConfig
    _state_fields = (
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
        StateField("window", "_window", WINDOW),
        StateField("heavy_tail", "_tail", Component()),
    )

    def __init__(self, config: ConjugateKappaConfig | None = None) -> None:
        self.config = config if config is not None else ConjugateKappaConfig()
        self._window = RollingWindow(self.config.window_ms)
        self._tail = HeavyTailDetector(self.config.heavy_tail_config())
        self._last_ms: int | None = None

    def update(self, distance: float, timestamp_ms: int) -> None:
        """Add one distance (fraction of mid, finite, >= 0) observed at ``timestamp_ms``.

        The distance is floored at ``config.min_distance``; observations with
        ``timestamp <= timestamp_ms - window_ms`` are evicted first.

        Raises:
            InvalidInputError: bad distance or a timestamp that is not a non-negative integer
                or goes backwards; the state is unchanged.
        """
        d = check_non_negative("distance", distance)
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        self._last_ms = t
        self._window.evict(t)
        self._window.push(t, max(d, self.config.min_distance))
        self._tail.record(coefficient_of_variation(self._window))

    def update_from_trade(self, distance: float, size: float, timestamp_ms: int) -> None:
        """:meth:`update` for a market trade of ``size`` (> 0, validated): a trade is one
        observation whatever its size (the :class:`online.protocols.MarketKappa` role)."""
        check_positive("size", size)
        self.update(distance, timestamp_ms)

    def advance(self, timestamp_ms: int) -> None:
        """Move the clock to ``timestamp_ms`` and evict, without adding an observation.

        The heavy-tail detector is not updated (it counts updates only).

        Raises:
            InvalidInputError: if the timestamp is invalid or goes backwards (state unchanged).
        """
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        self._last_ms = t
        self._window.evict(t)

    @property
    def posterior(self) -> GammaPosterior:
        """Gamma(a0 + n, b0 + sum d), shape-rate, over the current window."""
        cfg = self.config
        return GammaPosterior(
            cfg.prior_alpha + self._window.count, cfg.prior_beta + self._window.total
        )

    def credible_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Exact equal-tailed Gamma credible interval for kappa at ``level`` in (0, 1)."""
        return self.posterior.interval(level)

    @property
    def observation_count(self) -> int:
        """n, the number of observations in the window."""
        return self._window.count

    @property
    def sum_distances(self) -> float:
        """sum of the (floored) distances in the window, fraction of mid."""
        return self._window.total

    @property
    def last_timestamp_ms(self) -> int | None:
        """Timestamp of the last update or advance (ms), None before any."""
        return self._last_ms

    @property
    def heavy_tail(self) -> HeavyTailDetector:
        """The heavy-tail detector fed with the window CV after every update."""
        return self._tail
