"""Exponentially weighted means and variances on a tick clock (optionally with time decay).

Half-lives are counted in *ticks* (observations), not seconds: on a volume clock the wall time
between observations is irregular, so a per-second decay would weight them wrongly. A half-life
of ``h`` ticks gives the per-tick weight ``alpha = 1 - 2**(-1/h)`` on the newest observation
(computed as ``-expm1(-ln 2 / h)``, the same number without cancellation for large ``h``); the
weight of an observation ``k`` ticks old is multiplied by ``2**(-k/h)``.

Classes:

* :class:`TickEWMA` - EWMA of a stream, ``value <- value + alpha (x - value)``.
* :class:`NormalisedTickEWMA` - normalised weighted mean with per-tick decay: every
  observation, the first included, weighs ``2**(-k/h)`` relative to the newest.
* :class:`TickEWMAVariance` - EWMA mean and variance with the West/Finch update (no
  ``E[x^2] - E[x]^2`` cancellation).
* :class:`HybridEWMA` - normalised weighted mean whose weights decay both per tick and per
  millisecond of elapsed time.

All values are in the units of the observations; timestamps are integer milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from online import _checks
from online.errors import InvalidInputError
from online.serialization import (
    INT,
    NONNEGATIVE,
    OPTIONAL_FLOAT,
    OPTIONAL_INT,
    OPTIONAL_NONNEGATIVE,
    StateField,
    Stateful,
)

_LN2 = math.log(2.0)


def tick_alpha(half_life_ticks: float) -> float:
    """Per-tick weight of the newest observation, ``alpha = 1 - 2**(-1/h)`` (h in ticks).

    Raises:
        InvalidInputError: if ``half_life_ticks`` is not finite and > 0.
    """
    h = _checks.positive("half_life_ticks", half_life_ticks)
    return -math.expm1(-_LN2 / h)


def _overflow(field: str, value: float) -> InvalidInputError:
    return InvalidInputError(field, value, "update would overflow float64")


def _west_step(value: float | None, weight: float, x: float, decay: float) -> tuple[float, float]:
    """(value, W) of a normalised weighted mean after folding in ``x`` with weight 1, the old
    weights multiplied by ``decay``: ``W <- decay W + 1``, ``value <- value + (x - value) / W``
    (West 1979); the first observation sets ``value = x``, ``W = 1``. A convex step, so a
    constant input stays exactly constant."""
    if value is None:
        return x, 1.0
    w = decay * weight + 1.0
    return value + (x - value) / w, w


@dataclass(frozen=True)
class TickEWMAConfig:
    """Configuration of :class:`TickEWMA`.

    Attributes:
        half_life_ticks: half-life in ticks, finite and > 0 (no production default: each use
            names its own, e.g. 50 ticks for the jump toxicity score).
        initial: starting value, or ``None`` for "the first observation sets the value"
            (river's ``EWMean`` convention, no start-up bias).
    """

    half_life_ticks: float
    initial: float | None = None

    def __post_init__(self) -> None:
        _checks.positive("half_life_ticks", self.half_life_ticks)
        if self.initial is not None:
            _checks.finite("initial", self.initial)


class TickEWMA(Stateful):
    """Tick-clock EWMA: ``value_n = value_{n-1} + alpha (x_n - value_{n-1})``.

    With ``initial = v0`` the value after n ticks is
    ``(1 - alpha)**n v0 + sum_i alpha (1 - alpha)**(n - i) x_i``. With ``initial = None`` the
    first observation sets the value (so ``v0 = x_1``) and :attr:`value` is ``None`` before it.
    The convex-step form keeps a constant input exactly constant.

    >>> ewma = TickEWMA(half_life_ticks=1.0)  # alpha = 1/2
    >>> ewma.update(2.0)
    >>> ewma.update(4.0)
    >>> ewma.value
    3.0
    """

    __slots__ = ("_alpha", "_config", "_count", "_value")
    _state_config = TickEWMAConfig
    _state_fields = (
        StateField("value", "_value", OPTIONAL_FLOAT),
        StateField("tick_count", "_count", INT),
    )

    def __init__(self, half_life_ticks: float, initial: float | None = None) -> None:
        self._config = TickEWMAConfig(half_life_ticks, initial)
        self._alpha = tick_alpha(half_life_ticks)
        self._value = None if initial is None else float(initial)
        self._count = 0

    @property
    def config(self) -> TickEWMAConfig:
        return self._config

    @property
    def alpha(self) -> float:
        """Weight of the newest observation, ``1 - 2**(-1/half_life_ticks)``."""
        return self._alpha

    @property
    def value(self) -> float | None:
        """Current EWMA (``None`` only before the first observation when ``initial`` is None)."""
        return self._value

    @property
    def tick_count(self) -> int:
        """Number of observations accepted so far."""
        return self._count

    def update(self, observation: float) -> None:
        """Fold in one observation (finite real)."""
        x = _checks.finite("observation", observation)
        v = self._value
        new = x if v is None else v + self._alpha * (x - v)
        if not math.isfinite(new):
            raise _overflow("observation", observation)
        self._value = new
        self._count += 1

    @classmethod
    def _from_config(cls, config: TickEWMAConfig) -> TickEWMA:
        return cls(config.half_life_ticks, config.initial)


@dataclass(frozen=True)
class NormalisedTickEWMAConfig:
    """Configuration of :class:`NormalisedTickEWMA` (half-life in ticks, finite and > 0)."""

    half_life_ticks: float

    def __post_init__(self) -> None:
        _checks.positive("half_life_ticks", self.half_life_ticks)


class NormalisedTickEWMA(Stateful):
    """Tick-decay weighted mean normalised by its weight sum (pandas ``ewm(adjust=True)``).

    After ``x_1..x_n`` the value is ``sum_i w_i x_i / sum_i w_i`` with
    ``w_i = (1 - alpha)**(n - i)``, ``alpha = 1 - 2**(-1/h)``: every observation, the first
    included, weighs ``2**(-k/h)`` relative to the newest when it is ``k`` ticks old. Computed
    by the West update ``W <- (1 - alpha) W + 1``, ``value <- value + (x - value) / W``;
    :attr:`weight_sum` is ``W = (1 - (1 - alpha)**n) / alpha``.

    It differs from :class:`TickEWMA` started from its first observation only in the weight of
    that first observation: there it is ``(1 - alpha)**(n - 1)``, ``(1 - alpha) / alpha``
    times the weight of the second (144 observations' worth at h = 100), so one noisy first
    value dominates the first ~h updates (after 100 updates at h = 100 it still weighs 0.50).
    Here the first n << h values are close to an equally weighted mean, whose variance is
    ``Var(x) / n``; both converge to the same stationary EWMA once ``n >> h``.

    >>> ewma = NormalisedTickEWMA(half_life_ticks=1.0)  # alpha = 1/2: weights (1/2, 1)
    >>> ewma.update(2.0)
    >>> ewma.update(5.0)
    >>> ewma.value, ewma.weight_sum  # (2/2 + 5) / (1/2 + 1)
    (4.0, 1.5)
    """

    __slots__ = ("_config", "_count", "_keep", "_value", "_weight")
    _state_config = NormalisedTickEWMAConfig
    _state_fields = (
        StateField("value", "_value", OPTIONAL_FLOAT),
        StateField("weight_sum", "_weight", NONNEGATIVE),
        StateField("tick_count", "_count", INT),
    )

    def __init__(self, half_life_ticks: float) -> None:
        self._config = NormalisedTickEWMAConfig(half_life_ticks)
        self._keep = 1.0 - tick_alpha(half_life_ticks)
        self._value: float | None = None
        self._weight = 0.0
        self._count = 0

    @property
    def config(self) -> NormalisedTickEWMAConfig:
        return self._config

    @property
    def value(self) -> float | None:
        """Normalised weighted mean; ``None`` before the first observation."""
        return self._value

    @property
    def weight_sum(self) -> float:
        """``W = sum_i (1 - alpha)**(n - i)`` (the newest observation weighs 1); 0 before data."""
        return self._weight

    @property
    def tick_count(self) -> int:
        """Number of observations accepted so far."""
        return self._count

    def update(self, observation: float) -> None:
        """Fold in one observation (finite real)."""
        x = _checks.finite("observation", observation)
        value, weight = _west_step(self._value, self._weight, x, self._keep)
        if not math.isfinite(value):
            raise _overflow("observation", observation)
        self._value, self._weight = value, weight
        self._count += 1

    @classmethod
    def _from_config(cls, config: NormalisedTickEWMAConfig) -> NormalisedTickEWMA:
        return cls(config.half_life_ticks)

    def _check_state(self) -> None:
        started = self._value is not None
        if started != (self._count > 0) or started != (self._weight > 0.0):
            raise ValueError("value, weight_sum and tick_count must all show data or none")
        # W_n = (1 - keep**n) / (1 - keep) < 1 / alpha, up to rounding at the fixed point
        if started and not 1.0 <= self._weight <= (1.0 + 1e-9) / (1.0 - self._keep):
            raise ValueError(f"weight_sum {self._weight!r} outside [1, 1 / alpha]")


@dataclass(frozen=True)
class TickEWMAVarianceConfig:
    """Configuration of :class:`TickEWMAVariance` (half-life in ticks, finite and > 0)."""

    half_life_ticks: float

    def __post_init__(self) -> None:
        _checks.positive("half_life_ticks", self.half_life_ticks)


class TickEWMAVariance(Stateful):
    """EWMA mean and variance with the West/Finch update.

    Initialisation: the first observation sets ``mean = x_1`` and ``variance = 0``. Afterwards::

        d = x - mean
        mean <- mean + alpha d
        variance <- (1 - alpha) (variance + alpha d**2)

    This is exactly the weighted mean and (biased, weights summing to one) weighted variance
    ``sum_i w_i (x_i - mean)**2`` with ``w_1 = (1 - alpha)**(n-1)`` and
    ``w_i = alpha (1 - alpha)**(n-i)`` for ``i >= 2``. It works on deviations from the running
    mean, so a large common offset (e.g. 1e8 + noise) does not cancel the way
    ``EWMA(x**2) - EWMA(x)**2`` does, and the variance is never negative.
    :attr:`mean` and :attr:`variance` are ``None`` before the first observation.

    >>> ewma = TickEWMAVariance(half_life_ticks=1.0)  # alpha = 1/2
    >>> ewma.update(2.0)
    >>> ewma.update(4.0)
    >>> ewma.mean, ewma.variance  # weights (1/2, 1/2)
    (3.0, 1.0)
    """

    __slots__ = ("_alpha", "_config", "_count", "_mean", "_var")
    _state_config = TickEWMAVarianceConfig
    _state_fields = (
        StateField("mean", "_mean", OPTIONAL_FLOAT),
        StateField("variance", "_var", OPTIONAL_NONNEGATIVE),
        StateField("tick_count", "_count", INT),
    )

    def __init__(self, half_life_ticks: float) -> None:
        self._config = TickEWMAVarianceConfig(half_life_ticks)
        self._alpha = tick_alpha(half_life_ticks)
        self._mean: float | None = None
        self._var: float | None = None
        self._count = 0

    @property
    def config(self) -> TickEWMAVarianceConfig:
        return self._config

    @property
    def alpha(self) -> float:
        """Weight of the newest observation, ``1 - 2**(-1/half_life_ticks)``."""
        return self._alpha

    @property
    def mean(self) -> float | None:
        return self._mean

    @property
    def variance(self) -> float | None:
        """Weighted variance (units: observation units squared); ``None`` before data."""
        return self._var

    @property
    def tick_count(self) -> int:
        return self._count

    def update(self, observation: float) -> None:
        """Fold in one observation (finite real)."""
        x = _checks.finite("observation", observation)
        if self._mean is None:
            mean, var = x, 0.0
        else:
            a = self._alpha
            d = x - self._mean
            mean = self._mean + a * d
            var = (1.0 - a) * (self._var + a * d * d)
            if not (math.isfinite(mean) and math.isfinite(var)):
                raise _overflow("observation", observation)
        self._mean, self._var = mean, var
        self._count += 1

    @classmethod
    def _from_config(cls, config: TickEWMAVarianceConfig) -> TickEWMAVariance:
        return cls(config.half_life_ticks)

    def _check_state(self) -> None:
        if (self._mean is None) != (self._var is None):
            raise ValueError("mean and variance must both be None (no data) or both numbers")


@dataclass(frozen=True)
class HybridEWMAConfig:
    """Configuration of :class:`HybridEWMA`.

    Attributes:
        half_life_ticks: per-tick half-life, finite and > 0.
        time_half_life_ms: wall-clock half-life in milliseconds, finite and > 0.
    """

    half_life_ticks: float
    time_half_life_ms: float

    def __post_init__(self) -> None:
        _checks.positive("half_life_ticks", self.half_life_ticks)
        _checks.positive("time_half_life_ms", self.time_half_life_ms)


class HybridEWMA(Stateful):
    """Normalised weighted mean with tick *and* time decay.

    After observations ``x_1..x_n`` at times ``t_1 <= ... <= t_n`` (integer ms) the value is
    ``sum_i w_i x_i / sum_i w_i`` with ``w_i = (1 - alpha)**(n - i) * 2**(-(t_n - t_i) / H)``,
    ``alpha = 1 - 2**(-1/half_life_ticks)`` and ``H = time_half_life_ms``. It is computed by the
    weighted incremental (West) update::

        decay = (1 - alpha) * 2**(-(t - t_last) / H)
        W <- decay * W + 1
        value <- value + (x - value) / W

    a convex step, so a constant input stays *exactly* constant whatever the spacing (unlike a
    decay of the value itself toward zero). :attr:`value` is ``None`` before the first
    observation, which sets ``value = x_1`` and ``W = 1``.

    >>> ewma = HybridEWMA(half_life_ticks=1.0, time_half_life_ms=1_000.0)
    >>> ewma.update(2.0, 0)
    >>> ewma.update(4.0, 1_000)  # the first weight halves per tick and per second: 1/4
    >>> ewma.value, ewma.weight_sum  # (2/4 + 4) / (1/4 + 1)
    (3.6, 1.25)
    """

    __slots__ = ("_config", "_count", "_keep", "_last_t", "_value", "_weight")
    _state_config = HybridEWMAConfig
    _state_fields = (
        StateField("value", "_value", OPTIONAL_FLOAT),
        StateField("weight_sum", "_weight", NONNEGATIVE),
        StateField("last_timestamp_ms", "_last_t", OPTIONAL_INT),
        StateField("tick_count", "_count", INT),
    )

    def __init__(self, half_life_ticks: float, time_half_life_ms: float) -> None:
        self._config = HybridEWMAConfig(half_life_ticks, time_half_life_ms)
        self._keep = 1.0 - tick_alpha(half_life_ticks)
        self._value: float | None = None
        self._weight = 0.0
        self._last_t: int | None = None
        self._count = 0

    @property
    def config(self) -> HybridEWMAConfig:
        return self._config

    @property
    def value(self) -> float | None:
        """Normalised weighted mean; ``None`` before the first observation."""
        return self._value

    @property
    def weight_sum(self) -> float:
        """``W = sum_i w_i`` (the newest observation has weight 1); 0 before data."""
        return self._weight

    @property
    def last_timestamp_ms(self) -> int | None:
        return self._last_t

    @property
    def tick_count(self) -> int:
        return self._count

    def update(self, observation: float, timestamp_ms: int) -> None:
        """Fold in ``observation`` seen at ``timestamp_ms`` (integer ms, non-decreasing)."""
        x = _checks.finite("observation", observation)
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_t)
        dt = 0 if self._last_t is None else t - self._last_t
        decay = self._keep * 2.0 ** (-dt / self._config.time_half_life_ms)
        value, weight = _west_step(self._value, self._weight, x, decay)
        if not math.isfinite(value):
            raise _overflow("observation", observation)
        self._value, self._weight, self._last_t = value, weight, t
        self._count += 1

    @classmethod
    def _from_config(cls, config: HybridEWMAConfig) -> HybridEWMA:
        return cls(config.half_life_ticks, config.time_half_life_ms)

    def _check_state(self) -> None:
        if (self._value is None) != (self._last_t is None):
            raise ValueError("value and last_timestamp_ms must both be None (no data) or set")
