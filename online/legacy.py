"""V1 estimators, kept to reproduce the legacy behaviour behind ``EstimatorVersion`` flags.

Each class here is DELIBERATELY WRONG: it carries one of the statistical flaws the V2 design
set out to fix (REFERENCE_FACTS.md, flaws 1-4). They exist so that the unified estimator can
run the V1 code path (``EstimatorVersion.legacy_v1()``) for shadow comparison; never use them
for quoting. The known-bug catalogue (``validation.catalogue``) runs these classes, so its
detection rates are those of the code shadow mode runs.

* :class:`VolumeWeightedKappa` (flaw 1): posterior Gamma(a0 + sum v_i, b0 + sum v_i d_i), the
  trade SIZE v_i used as the observation count. Under d ~ Exp(kappa) the posterior mean is
  still about kappa, but the interval is as narrow as if sum v fills had been seen: with
  sizes of 100 shares it is about 10x too narrow.
* :class:`LinearBlendKappa` (flaw 2): kappa = c * n / sum d + (1 - c) * kappa_market with
  c = n / (n + a0), a linear blend of two point estimates instead of a posterior; reported
  with the Gamma(a0 + n, (a0 + n) / kappa) "posterior" that has the blend as its mean.
* :class:`BinaryJumpClassifier` (flaw 3): P(jump | r) = 1 if |r| > 3 sigma_d else 0, a hard
  decision: a 2.9 sigma move counts as no jump at all, a 3.1 sigma move as a certain one.
* :class:`OneSecondEWMAVariance` (flaw 4): an EWMA variance whose time decay assumes every
  observation is 1 s after the previous one, whatever the timestamps say, and which reports
  the per-observation variance as a per-second variance. On a volume clock with lambda
  buckets per second the reported sigma is off by a factor 1 / sqrt(lambda).

Units as everywhere: distances are fractions of the mid, kappa is in 1/(fraction of mid),
Gamma is shape-RATE, timestamps are integer ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from online import _checks
from online.errors import InvalidInputError
from online.gamma_posterior import GammaPosterior
from online.rolling_sums import (
    MAX_VALUE,
    RollingWindow,
    check_non_negative,
    check_positive,
    check_timestamp,
    check_window_ms,
)
from online.serialization import (
    FLOAT,
    INT,
    NONNEGATIVE,
    OPTIONAL_INT,
    POSITIVE,
    WINDOW,
    StateField,
    Stateful,
    fields,
)

ASSUMED_GAP_MS = 1000
"""The V1 EWMA's assumption about the time between observations (1 s)."""


@dataclass(frozen=True)
class VolumeWeightedKappaConfig:
    """Defaults of the V1 market-trade kappa (same prior and window as the V2 one).

    Attributes:
        prior_alpha: a0, Gamma prior shape (> 0).
        prior_beta: b0, Gamma prior RATE (> 0), fraction-of-mid units; default 5/2500.
        window_ms: rolling window length in ms (integer > 0).
        min_distance: distance floor (fraction of mid, >= 0).
    """

    prior_alpha: float = 5.0
    prior_beta: float = 5.0 / 2500.0
    window_ms: int = 300_000
    min_distance: float = 1e-5

    def __post_init__(self) -> None:
        _checks.positive("prior_alpha", self.prior_alpha)
        _checks.positive("prior_beta", self.prior_beta)
        check_window_ms(self.window_ms)
        _checks.non_negative("min_distance", self.min_distance)


class VolumeWeightedKappa(Stateful):
    """FLAWED (flaw 1): Gamma(a0 + sum v, b0 + sum v d) over the window ``(now - w, now]``.

    >>> est = VolumeWeightedKappa()
    >>> est.update(4e-4, size=100.0, timestamp_ms=0)
    >>> est.observation_count, est.posterior.alpha  # one trade counted as 100 observations
    (1, 105.0)
    """

    _state_config = VolumeWeightedKappaConfig
    _state_fields = (
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
        StateField("volume", "_volume", WINDOW),
        StateField("weighted", "_weighted", WINDOW),
    )

    def __init__(self, config: VolumeWeightedKappaConfig | None = None) -> None:
        self.config = config if config is not None else VolumeWeightedKappaConfig()
        self._volume = RollingWindow(self.config.window_ms)
        self._weighted = RollingWindow(self.config.window_ms)
        self._last_ms: int | None = None

    def update(self, distance: float, size: float, timestamp_ms: int) -> None:
        """Add a trade at ``distance`` (fraction of mid, >= 0) of ``size`` (> 0).

        Raises:
            InvalidInputError: bad distance, size or timestamp (state unchanged).
        """
        d = _checks.non_negative("distance", distance)
        v = check_positive("size", size)
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        vd = v * max(d, self.config.min_distance)
        if not vd <= MAX_VALUE:
            raise InvalidInputError("size", size, f"size * distance exceeds {MAX_VALUE:g}")
        self._last_ms = t
        for window, x in ((self._volume, v), (self._weighted, vd)):
            window.evict(t)
            window.push(t, x)

    def update_from_trade(self, distance: float, size: float, timestamp_ms: int) -> None:
        """:meth:`update` (the :class:`online.protocols.MarketKappa` role)."""
        self.update(distance, size, timestamp_ms)

    def advance(self, timestamp_ms: int) -> None:
        """Move the clock to ``timestamp_ms`` and evict old trades."""
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        self._last_ms = t
        self._volume.evict(t)
        self._weighted.evict(t)

    @property
    def observation_count(self) -> int:
        """Number of trades in the window (NOT what the posterior counts)."""
        return self._volume.count

    @property
    def posterior(self) -> GammaPosterior:
        """Gamma(a0 + sum v, b0 + sum v d), shape-rate (wrong: counts volume, not trades)."""
        cfg = self.config
        return GammaPosterior(
            cfg.prior_alpha + self._volume.total, cfg.prior_beta + self._weighted.total
        )

    def credible_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed interval of :attr:`posterior` (too narrow when sizes exceed 1)."""
        return self.posterior.interval(level)


@dataclass(frozen=True)
class LinearBlendKappaConfig:
    """Defaults of the V1 own-fill kappa (same a0, window and readiness as the V2 one).

    Attributes:
        prior_alpha: a0 (> 0), the pseudo-count in c = n / (n + a0).
        window_ms: rolling window of own fills in ms (integer > 0).
        min_fills: fills in the window before :attr:`LinearBlendKappa.is_ready` (integer >= 0).
        min_distance: distance floor (fraction of mid, >= 0).
        default_market_kappa: kappa_market until one is given (> 0).
    """

    prior_alpha: float = 5.0
    window_ms: int = 300_000
    min_fills: int = 10
    min_distance: float = 1e-5
    default_market_kappa: float = 2500.0

    def __post_init__(self) -> None:
        _checks.positive("prior_alpha", self.prior_alpha)
        check_window_ms(self.window_ms)
        m = self.min_fills
        if isinstance(m, bool) or not isinstance(m, int) or m < 0:
            raise InvalidInputError("min_fills", m, "must be an integer >= 0")
        _checks.non_negative("min_distance", self.min_distance)
        _checks.positive("default_market_kappa", self.default_market_kappa)


class LinearBlendKappa(Stateful):
    """FLAWED (flaw 2): kappa = c n / sum d + (1 - c) kappa_market, c = n / (n + a0).

    >>> est = LinearBlendKappa()
    >>> est.update_market_kappa(2000.0)
    >>> est.update_from_fill(2e-4, 0)
    >>> est.kappa  # c = 1/6: 5000 / 6 + (5/6) 2000
    2500.0
    """

    _state_config = LinearBlendKappaConfig
    _state_fields = (
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
        StateField("window", "_window", WINDOW),
        StateField("market_kappa", "_market_kappa", POSITIVE),
    )

    def __init__(self, config: LinearBlendKappaConfig | None = None) -> None:
        self.config = config if config is not None else LinearBlendKappaConfig()
        self._window = RollingWindow(self.config.window_ms)
        self._last_ms: int | None = None
        self._market_kappa = self.config.default_market_kappa

    def update_from_fill(
        self, distance: float, timestamp_ms: int, adverse_move_bps: float | None = None
    ) -> None:
        """Add one own fill at ``distance`` (fraction of mid, >= 0); ``adverse_move_bps``
        (finite, bp) is validated and ignored: the V1 blend has no adverse-selection term.

        Raises:
            InvalidInputError: bad distance, timestamp or adverse move (state unchanged).
        """
        d = check_non_negative("distance", distance)
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        if adverse_move_bps is not None:
            _checks.finite("adverse_move_bps", adverse_move_bps)
        self._last_ms = t
        self._window.evict(t)
        self._window.push(t, max(d, self.config.min_distance))

    def update_market_kappa(self, kappa: float, conf: float = 1.0) -> None:
        """Set kappa_market (> 0, 1/fraction of mid) such that the posterior rate
        (a0 + n) / kappa stays a positive finite float (checked for n = 0). ``conf`` in
        (0, 1] is validated and ignored: the V1 blend weighs the market by c = n / (n + a0)."""
        k = _checks.kappa("kappa", kappa)
        _checks.confidence("conf", conf)
        if not 0.0 < self.config.prior_alpha / k < math.inf:
            raise InvalidInputError("kappa", kappa, "prior_alpha / kappa leaves float64 range")
        self._market_kappa = k

    def advance(self, timestamp_ms: int) -> None:
        """Move the clock to ``timestamp_ms`` and evict old fills."""
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        self._last_ms = t
        self._window.evict(t)

    @property
    def market_kappa(self) -> float:
        return self._market_kappa

    @property
    def fill_count(self) -> int:
        """n, own fills in the window."""
        return self._window.count

    @property
    def is_ready(self) -> bool:
        return self._window.count >= self.config.min_fills

    @property
    def kappa(self) -> float:
        """The blend c n / sum d + (1 - c) kappa_market; kappa_market with no fill."""
        n = self._window.count
        if n == 0:
            return self._market_kappa
        c = n / (n + self.config.prior_alpha)
        return c * n / self._window.total + (1.0 - c) * self._market_kappa

    @property
    def posterior(self) -> GammaPosterior:
        """Gamma(a0 + n, (a0 + n) / kappa_blend): the blend dressed up as a posterior."""
        shape = self.config.prior_alpha + self._window.count
        return GammaPosterior(shape, shape / self.kappa)

    @property
    def effective_posterior(self) -> GammaPosterior:
        """:attr:`posterior` (V1 quotes the blend as it is)."""
        return self.posterior

    @property
    def prior_alpha(self) -> float:
        """a0, the pseudo-count in c = n / (n + a0)."""
        return self.config.prior_alpha


@dataclass(frozen=True)
class BinaryJumpConfig:
    """V1 jump classification.

    Attributes:
        threshold_sigmas: a return is a jump when |r| > threshold_sigmas * sigma_d (3).
        toxicity_half_life_ticks: half-life of the toxicity EWMA of the 0/1 flags (50).
        toxicity_min_observations: observations before toxicity is reported (20).
    """

    threshold_sigmas: float = 3.0
    toxicity_half_life_ticks: float = 50.0
    toxicity_min_observations: int = 20

    def __post_init__(self) -> None:
        _checks.positive("threshold_sigmas", self.threshold_sigmas)
        _checks.positive("toxicity_half_life_ticks", self.toxicity_half_life_ticks)
        m = self.toxicity_min_observations
        if isinstance(m, bool) or not isinstance(m, int) or m < 0:
            raise InvalidInputError("toxicity_min_observations", m, "must be an integer >= 0")


class BinaryJumpClassifier(Stateful):
    """FLAWED (flaw 3): P(jump | r) = 1[|r| > 3 sigma_d], a hard 0/1 decision.

    Same interface as :class:`online.soft_jump.SoftJumpClassifier` (``update``,
    ``set_sigma_diffusion``, ``toxicity_score``). Toxicity is the weight-normalised EWMA
    ``sum_i w_i p_i / sum_i w_i``, ``w_i = 2^(-(n - i)/h)``, of the 0/1 flags.

    >>> clf = BinaryJumpClassifier(sigma_diffusion=1e-4)
    >>> clf.jump_probability(2.9e-4), clf.jump_probability(3.1e-4)
    (0.0, 1.0)
    """

    _state_config = BinaryJumpConfig
    _state_fields = (
        *fields(
            NONNEGATIVE,
            (
                ("sigma", "_sigma"),
                ("toxicity_weight_sum", "_tox_w"),
            ),
        ),
        StateField("toxicity", "_tox", FLOAT),
        StateField("observation_count", "_count", INT),
    )

    def __init__(self, sigma_diffusion: float, config: BinaryJumpConfig | None = None) -> None:
        self.config = config if config is not None else BinaryJumpConfig()
        self._sigma = _checks.positive("sigma_diffusion", sigma_diffusion)
        self._keep = 2.0 ** (-1.0 / self.config.toxicity_half_life_ticks)
        self._tox = 0.0
        self._tox_w = 0.0
        self._count = 0

    @property
    def sigma_diffusion(self) -> float:
        return self._sigma

    @property
    def observation_count(self) -> int:
        return self._count

    def jump_probability(self, log_return: float) -> float:
        """1.0 if |r| > threshold * sigma_d else 0.0 (no state change)."""
        r = _checks.finite("log_return", log_return)
        return 1.0 if abs(r) > self.config.threshold_sigmas * self._sigma else 0.0

    def update(self, log_return: float) -> float:
        """Classify ``log_return``, fold the flag into the toxicity EWMA, return the flag."""
        p = self.jump_probability(log_return)
        w = self._keep * self._tox_w + 1.0
        self._tox += (p - self._tox) / w
        self._tox_w = w
        self._count += 1
        return p

    def set_sigma_diffusion(self, sigma: float) -> None:
        """Replace sigma_d (log-return units, > 0)."""
        self._sigma = _checks.positive("sigma", sigma)

    def toxicity_score(self) -> float | None:
        """EWMA of the flags, or ``None`` before ``toxicity_min_observations``."""
        if self._count < self.config.toxicity_min_observations:
            return None
        return self._tox

    def next_mixture(self, sigma_diffusion: float) -> None:
        """``None``: a threshold rule has no mixture (:class:`online.protocols.JumpClassifier`)."""
        return None

    @classmethod
    def _from_config(cls, config: BinaryJumpConfig) -> BinaryJumpClassifier:
        return cls(1.0, config)  # sigma_d is part of the state

    def _check_state(self) -> None:
        _checks.positive("sigma", self._sigma)


@dataclass(frozen=True)
class OneSecondEWMAConfig:
    """V1 EWMA variance.

    Attributes:
        time_half_life_ms: half-life in ms (> 0). Default 100 s, i.e. 100 observations at the
            assumed 1 s spacing (the bipower slow scale is 100 buckets).
    """

    time_half_life_ms: float = 100_000.0

    def __post_init__(self) -> None:
        _checks.positive("time_half_life_ms", self.time_half_life_ms)


class OneSecondEWMAVariance(Stateful):
    """FLAWED (flaw 4): EWMA variance with the time decay of a fixed 1 s gap.

    Per observation, whatever the real gap (timestamps are only checked for order)::

        decay = 2^(-1000 / H_ms)
        W <- decay W + 1
        mean <- mean_old + (x - mean_old) / W
        S <- decay S + (x - mean_old)^2 (W - 1) / W       (West: = (x - mean_old) (x - mean);
                                                           variance = S / W >= 0)

    i.e. the normalised weighted variance with weights ``decay^(n - i)``.
    :attr:`sigma_per_sqrt_s` is ``sqrt(variance / 1 s)``: the per-observation variance taken as
    a per-second one, which is right only if observations really are 1 s apart.

    >>> est = OneSecondEWMAVariance()
    >>> est.update(1e-3, 0)
    >>> est.update(-1e-3, 60_000)  # a minute later, decayed as if 1 s had passed
    >>> round(est.variance, 9)
    1e-06
    """

    _state_config = OneSecondEWMAConfig
    _state_fields = (
        *fields(NONNEGATIVE, (("weight_sum", "_w"), ("s", "_s"))),
        StateField("mean", "_mean", FLOAT),
        StateField("observation_count", "_count", INT),
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
    )

    def __init__(self, config: OneSecondEWMAConfig | None = None) -> None:
        self.config = config if config is not None else OneSecondEWMAConfig()
        self._decay = 2.0 ** (-ASSUMED_GAP_MS / self.config.time_half_life_ms)
        self._w = 0.0
        self._mean = 0.0
        self._s = 0.0
        self._count = 0
        self._last_ms: int | None = None

    def update(self, observation: float, timestamp_ms: int) -> None:
        """Fold in ``observation`` (finite) seen at ``timestamp_ms`` (gap ignored)."""
        x = _checks.finite("observation", observation)
        t = check_timestamp("timestamp_ms", timestamp_ms, self._last_ms)
        carried = self._decay * self._w  # W - 1
        w = carried + 1.0
        dx = x - self._mean
        mean = self._mean + dx / w
        # (x - mean_old)(x - mean) = dx^2 (W - 1) / W, written so that rounding cannot make it
        # negative (the product form gave S = -3e-23 and a sqrt domain error at W ~ 1)
        s = self._decay * self._s + dx * dx * (carried / w)
        if not (math.isfinite(mean) and math.isfinite(s)):
            raise InvalidInputError("observation", observation, "update would overflow float64")
        self._w, self._mean, self._s, self._last_ms = w, mean, s, t
        self._count += 1

    @property
    def observation_count(self) -> int:
        return self._count

    @property
    def mean(self) -> float | None:
        """Weighted mean ``sum w x / sum w``; ``None`` before the first observation."""
        return None if self._count == 0 else self._mean

    @property
    def variance(self) -> float | None:
        """Weighted variance per observation; ``None`` before the first observation."""
        return None if self._count == 0 else self._s / self._w

    @property
    def sigma_per_sqrt_s(self) -> float | None:
        """sqrt(variance / 1 s): assumes one observation per second (wrong on a volume clock)."""
        var = self.variance
        return None if var is None else math.sqrt(var * 1000.0 / ASSUMED_GAP_MS)
