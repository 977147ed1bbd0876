"""Own-fill kappa with a market-kappa prior (hierarchical conjugate update).

Model: own-fill distances d_i ~ Exp(kappa_own) (rate), and, given the market kappa k_m,

    kappa_own ~ Gamma(a_p, a_p / k_m)          (shape-RATE; prior mean k_m, prior CV 1/sqrt(a_p))
    kappa_own | d ~ Gamma(a_p + n, a_p / k_m + sum_i d_i)

over the n own fills in the rolling window ``(now - window_ms, now]`` (an update at ``now``
evicts fills with ``timestamp_ms <= now - window_ms``). Units: distances are fractions of the
mid (1 bp = 1e-4); kappa is in 1/(fraction of mid).

Market-kappa confidence: ``update_market_kappa(k_m, conf)`` with conf in (0, 1] sets the
prior's pseudo-count a_p = conf * a0. The prior mean stays k_m; its CV becomes
1/sqrt(conf * a0). conf = 1 is the full concentration a0 (the plain Gamma(a0, a0/k_m) prior);
conf -> 0 lets the own fills dominate sooner. k_m itself is treated as known (pinned): the
uncertainty in k_m is expressed only through the reduced pseudo-count. Until a market kappa is
given the prior is Gamma(a0, a0 / default_market_kappa).

Adverse selection: AS_bps is a tick EWMA over fills of the adverse moves reported with them
(bp; positive = the price moved against the fill), alpha = 1 - 2^(-1/as_half_life_fills),
started at the first reported move (no zero-start bias):

    AS_1 = x_1,   AS_k = alpha x_k + (1 - alpha) AS_{k-1}.

The factor is phi = 0.5 + 0.5 exp(-as_coefficient * max(AS_bps, 0)) in (0.5, 1]; phi = 1
before any move is reported, and a favourable average (AS_bps < 0) gives phi = 1, so the factor
only ever lowers kappa (widens quotes). ``effective_kappa() = posterior mean * phi``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from online import _checks
from online.errors import InvalidInputError
from online.gamma_posterior import GammaPosterior
from online.rolling_sums import (
    RollingWindow,
    check_non_negative,
    check_timestamp,
    check_window_ms,
)
from online.serialization import (
    OPTIONAL_FLOAT,
    OPTIONAL_INT,
    POSITIVE,
    UNIT_INTERVAL,
    WINDOW,
    StateField,
    Stateful,
)


def _check_count(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(field, value, "must be an integer")
    if value < 0:
        raise InvalidInputError(field, value, "must be >= 0")
    return value


@dataclass(frozen=True)
class HierarchicalKappaConfig:
    """Production defaults of the own-fill hierarchical kappa.

    Attributes:
        prior_alpha: a0, the full prior concentration (pseudo-count of fills, > 0).
        window_ms: rolling window length in ms (integer > 0). Default 5 minutes.
        min_fills: ``is_ready`` once the window holds at least this many fills (integer >= 0).
        as_coefficient: c in phi = 0.5 + 0.5 exp(-c AS_bps), per bp (>= 0).
        as_half_life_fills: half-life of the adverse-selection EWMA in fills (> 0).
        min_distance: distances are floored at this value (fraction of mid, >= 0; 0 = none).
        default_market_kappa: k_m used until ``update_market_kappa`` is called (> 0).
    """

    prior_alpha: float = 5.0
    window_ms: int = 300_000
    min_fills: int = 10
    as_coefficient: float = 0.2
    as_half_life_fills: float = 50.0
    min_distance: float = 1e-5
    default_market_kappa: float = 2500.0

    def __post_init__(self) -> None:
        _checks.positive("prior_alpha", self.prior_alpha)
        check_window_ms(self.window_ms)
        _check_count("min_fills", self.min_fills)
        _checks.non_negative("as_coefficient", self.as_coefficient)
        _checks.positive("as_half_life_fills", self.as_half_life_fills)
        _checks.non_negative("min_distance", self.min_distance)
        _checks.positive("default_market_kappa", self.default_market_kappa)

    @property
    def as_alpha(self) -> float:
        """EWMA weight of a new adverse move, 1 - 2^(-1/as_half_life_fills)."""
        return -math.expm1(-math.log(2.0) / self.as_half_life_fills)


class HierarchicalKappa(Stateful):
    """Streaming own-fill kappa posterior under a market-kappa prior; see the module doc.

    >>> est = HierarchicalKappa()
    >>> est.update_market_kappa(2500.0, conf=1.0)  # prior Gamma(5, 5/2500)
    >>> est.update_from_fill(4e-4, timestamp_ms=1_000)
    >>> est.posterior.alpha, round(est.posterior.mean, 6)  # Gamma(5 + 1, 0.002 + 0.0004)
    (6.0, 2500.0)
    """

    _state_config = HierarchicalKappaConfig
    _state_fields = (
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
        StateField("window", "_window", WINDOW),
        StateField("market_kappa", "_market_kappa", POSITIVE),
        StateField("market_conf", "_market_conf", UNIT_INTERVAL),
        StateField("as_bps", "_as_bps", OPTIONAL_FLOAT),
    )

    def __init__(self, config: HierarchicalKappaConfig | None = None) -> None:
        self.config = config if config is not None else HierarchicalKappaConfig()
        self._window = RollingWindow(self.config.window_ms)
        self._last_ms: int | None = None
        self._market_kappa = self.config.default_market_kappa
        self._market_conf = 1.0
        self._as_bps: float | None = None

    # ---------------------------------------------------------------- updates
    def update_from_fill(
        self, distance: float, timestamp_ms: int, adverse_move_bps: float | None = None
    ) -> None:
        """Add one own fill at ``distance`` (fraction of mid, >= 0) at ``timestamp_ms``.

        ``adverse_move_bps`` (finite, bp, positive = adverse), if given, updates the
        adverse-selection EWMA. Fills with ``timestamp <= timestamp_ms - window_ms`` are evicted.

        Raises:
            InvalidInputError: bad distance, timestamp or adverse move (state unchanged).
        """
        d = check_non_negative("distance", distance)
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        move = (
            None
            if adverse_move_bps is None
            else _checks.finite("adverse_move_bps", adverse_move_bps)
        )
        self._last_ms = t
        self._window.evict(t)
        self._window.push(t, max(d, self.config.min_distance))
        if move is not None:
            if self._as_bps is None:
                self._as_bps = move
            else:
                a = self.config.as_alpha
                self._as_bps = a * move + (1.0 - a) * self._as_bps

    def update_market_kappa(self, kappa: float, conf: float) -> None:
        """Set the market kappa k_m (> 0, 1/fraction of mid) and its confidence conf in (0, 1].

        The prior becomes Gamma(conf * a0, conf * a0 / k_m).

        Raises:
            InvalidInputError: if kappa is not finite and > 0 or conf is outside (0, 1].
        """
        k = _checks.kappa("kappa", kappa)
        c = _checks.confidence("conf", conf)
        if not 0.0 < c * self.config.prior_alpha / k < math.inf:
            raise InvalidInputError(
                "kappa", kappa, f"prior rate conf * a0 / kappa (conf {c}) leaves float64 range"
            )
        self._market_kappa = k
        self._market_conf = c

    def advance(self, timestamp_ms: int) -> None:
        """Move the clock to ``timestamp_ms`` and evict old fills, without adding one.

        Raises:
            InvalidInputError: if the timestamp is invalid or goes backwards (state unchanged).
        """
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        self._last_ms = t
        self._window.evict(t)

    # ---------------------------------------------------------------- queries
    @property
    def market_kappa(self) -> float:
        """k_m, the prior mean (1/fraction of mid)."""
        return self._market_kappa

    @property
    def market_conf(self) -> float:
        """Confidence in k_m, in (0, 1]; the prior pseudo-count is conf * a0."""
        return self._market_conf

    @property
    def prior(self) -> GammaPosterior:
        """The prior Gamma(a_p, a_p / k_m), a_p = conf * a0 (shape-rate)."""
        a_p = self._market_conf * self.config.prior_alpha
        return GammaPosterior(a_p, a_p / self._market_kappa)

    @property
    def posterior(self) -> GammaPosterior:
        """Gamma(a_p + n, a_p / k_m + sum d) over the fills in the window (shape-rate)."""
        a_p = self._market_conf * self.config.prior_alpha
        return GammaPosterior(
            a_p + self._window.count, a_p / self._market_kappa + self._window.total
        )

    @property
    def effective_posterior(self) -> GammaPosterior:
        """The posterior of phi kappa_own (phi the adverse-selection factor): with kappa_own ~
        Gamma(a, b), phi kappa_own ~ Gamma(a, b / phi); its mean is :meth:`effective_kappa`."""
        post = self.posterior
        return GammaPosterior(post.alpha, post.beta / self.adverse_selection_factor)

    @property
    def prior_alpha(self) -> float:
        """a0, the pseudo-count of fills the market prior is worth at conf = 1."""
        return self.config.prior_alpha

    def credible_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Exact equal-tailed Gamma credible interval for kappa_own at ``level`` in (0, 1)."""
        return self.posterior.interval(level)

    @property
    def adverse_selection_bps(self) -> float | None:
        """AS_bps, the EWMA of reported adverse moves (bp); None before any is reported."""
        return self._as_bps

    @property
    def adverse_selection_factor(self) -> float:
        """phi = 0.5 + 0.5 exp(-as_coefficient * max(AS_bps, 0)); 1 before any move."""
        if self._as_bps is None:
            return 1.0
        return 0.5 + 0.5 * math.exp(-self.config.as_coefficient * max(self._as_bps, 0.0))

    def effective_kappa(self) -> float:
        """Posterior mean of kappa_own times the adverse-selection factor phi."""
        return self.posterior.mean * self.adverse_selection_factor

    @property
    def observation_count(self) -> int:
        """n, the number of own fills in the window."""
        return self._window.count

    @property
    def sum_distances(self) -> float:
        """Sum of the (floored) fill distances in the window, fraction of mid."""
        return self._window.total

    @property
    def is_ready(self) -> bool:
        """At least ``min_fills`` fills in the window."""
        return self._window.count >= self.config.min_fills

    # ------------------------------------------------------------------ state
