"""Multi-scale realised and bipower variance of volume-bucket log returns.

Input: one log return ``r_t`` per volume bucket (dimensionless; e.g.
:attr:`online.volume_clock.VolumeBucket.log_return`). For each of three half-lives ``h`` (in
buckets; fast, medium, slow = 5, 20, 100 by default)::

    RV_h = EWMA_h(r_t**2)                                    (every return)
    Z_h  = EWMA_h(1{r_t != 0})                               (every return)
    B_h  = EWMA_h((pi/2) |r_t| |r_s|)   over nonzero r_t, r_s the previous nonzero return
    BV_h = Z_h B_h

each an :class:`online.ewma.NormalisedTickEWMA`: the weighted mean
``sum_i w_i x_i / sum_i w_i`` with ``w_i = (1 - alpha)**(n-i)``, ``alpha = 1 - 2**(-1/h)``, the
first term included. (An EWMA *started from* its first observation gives that term
``(1 - alpha) / alpha`` times the weight of the second, 144 returns' worth at h = 100: on a
simulated session whose first kept return was a 2-sd move, sigma read 1.95x the truth at 20 s
and 1.38x at 10 minutes; with these weights 1.50x and 1.17x, the realised variance of the same
returns 1.19x at 10 minutes.) For i.i.d. N(0, sigma**2) returns
``E|r_t||r_{t-1}| = (2/pi) sigma**2``, so both are unbiased for the per-bucket variance; a jump
enters RV squared but BV only through its product with a neighbouring diffusive return.

Zero returns. A quoted mid moves in ticks, so many bucket returns are exactly 0 (30-50% on the
LOBSTER 2012-06-21 samples). The classical bipower mean over all adjacent pairs counts every
product with a zero as 0: for returns that are 0 with probability p0 and otherwise
N(0, sigma**2 / (1 - p0)) (variance sigma**2) it has mean (1 - p0)**2 sigma**2 / (1 - p0) =
(1 - p0) sigma**2, biased down by the zero fraction (on LOBSTER AAPL/AMZN/GOOG it gave 0.79,
0.72, 0.70 of the realized volatility of mid-quote returns). Pairing each nonzero return with
the previous nonzero one gives (pi/2) E[|r||r'| | r, r' != 0] = sigma**2 / (1 - p0), and the
factor Z = P(r != 0) restores sigma**2: BV is unbiased under that model, and equal to the
classical BV when no return is 0.

Clean variance. Bipower is unbiased for the per-bucket variance only when neighbouring
returns have the same variance. In calendar time they do not: a bucket return is
N(0, sigma**2 dt) with a random duration dt, and (pi/2) E|r_t||r_s| = sigma**2 (E sqrt(dt))**2,
which for exponential durations (one Poisson trade per bucket) is pi/4 = 0.785 of the variance
per bucket. Dividing each return by sqrt(dt) does not help on real feeds (bursts of buckets
milliseconds apart carry most of the moves). The clean variance is therefore a *truncated*
realised variance, which needs no assumption on the durations::

    TRV = EWMA_slow(r_t**2  over the returns with r_t**2 <= c**2 Y_before s_t)

with c = ``truncation_sds`` = 7, s_t = max(dt_t, mean dt) the return's time scale (1 without
durations) and the yardstick Y a *median* realised variance of the scaled nonzero returns
u = r / sqrt(s): Y = EWMA_medium(med(|u_a|, |u_b|, |u_c|)**2 / 0.7046) over the last three
(MedRV, Andersen, Dobrev and Schaumburg 2012; 0.7046 = E med(|z|)**2 for normals), from the
third nonzero return on (TRV starts then). A jump is never the median of three neighbours,
so Y does not move with the jumps; a self-referential yardstick does: with jump variance
larger than the diffusive one (a 25 bp jump a minute against 1 bp / sqrt(s)) a rate or TRV
yardstick has a second, dirty fixed point at which every jump passes, and bipower carries
each jump in two products (pi/2)|J||r|. Zero returns are left out of Y (a per-bucket TRV
yardstick fed the zeros of a stale or tick-grid mid shrinks until it cuts ordinary returns
and locks low; seen on simulated sessions with 22% zero returns). The scale s grows with a
long bucket, so it is not cut for being long, and is floored at the mean duration, so a burst
of buckets milliseconds apart is not measured against a near-zero yardstick. c = 7 cuts a
Gaussian return with probability 2.6e-12 and a jump beyond 7 diffusive sd of its bucket.

Variance per unit time. A per-bucket variance times the bucket rate mixes two EWMAs of
different memories, which is biased whenever the bucket size changes (the adaptive threshold
does so all the time). When each return comes with its duration dt (ms), the variance rates
are ratios of EWMAs over the *same* returns with the *same* weights::

    clean rate = TRV / EWMA_slow(dt over the returns kept in TRV)     per ms
    total rate = RV_slow / EWMA_slow(dt)                              per ms

i.e. sum w r**2 / sum w dt, consistent for sigma**2 per ms under any durations and any change
of the bucket size; sigma per sqrt(s) = sqrt(1000 rate).

Derived quantities (variances per bucket, sigmas = log-return sd per bucket)::

    sigma_clean = sqrt(TRV),  sigma_total = sqrt(RV_slow)
    jump_ratio  = clamp(RV_fast / BV_fast, jump_ratio_min, jump_ratio_max)   (toxic above 1.5)
    w = clamp(1 - 1/jump_ratio, 0, max_blend)
    sigma_effective = sqrt((1 - w) TRV + w RV_slow)

and per second ``effective_variance_per_s = 1000 ((1 - w) clean rate + w total rate)``.

The blend is of *variances* (the quantity both estimators measure), so sigma_effective**2 is a
convex combination of the clean and the total variance and lies between them.

Before two nonzero returns the BV-based quantities (jump ratio, blend weight, sigma_effective)
are ``None``; BV is then always > 0.

Example::

    >>> est = MultiScaleBipowerEstimator()
    >>> for r in (1e-4, 0.0, -1e-4, 1e-4):
    ...     est.update(r)
    >>> round(est.bipower_variance(0) / 1e-8, 4)  # Z_fast (0.7695) * (pi/2)
    1.2088
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from online import _checks
from online.errors import InvalidInputError
from online.ewma import NormalisedTickEWMA
from online.serialization import (
    INT,
    OPTIONAL_FLOAT,
    Component,
    ComponentList,
    FloatList,
    StateField,
    Stateful,
)

_HALF_PI = 0.5 * math.pi
_MEDIAN_SQUARE = (6.0 - 4.0 * math.sqrt(3.0) + math.pi) / math.pi
"""E[median(|z1|, |z2|, |z3|)**2] for i.i.d. N(0, 1): 0.7046 (Andersen, Dobrev and Schaumburg
2012, MedRV)."""


@dataclass(frozen=True)
class BipowerConfig:
    """Configuration (production defaults).

    Attributes:
        half_lives_buckets: EWMA half-lives (fast, medium, slow) in buckets, each finite > 0.
        jump_ratio_min, jump_ratio_max: clamp of RV_fast / BV_fast ([0.1, 100]).
        toxic_threshold: jump ratio above which the flow is flagged toxic (1.5).
        max_blend: cap on the weight of the total variance in sigma_effective (0.85), in [0, 1].
        truncation_sds: c, a return with r**2 > c**2 (yardstick) is left out of the clean
            variance (7.0, > 0).
    """

    half_lives_buckets: tuple[float, float, float] = (5.0, 20.0, 100.0)
    jump_ratio_min: float = 0.1
    jump_ratio_max: float = 100.0
    toxic_threshold: float = 1.5
    max_blend: float = 0.85
    truncation_sds: float = 7.0

    def __post_init__(self) -> None:
        hl = self.half_lives_buckets
        if not isinstance(hl, tuple | list) or len(hl) != 3:
            raise InvalidInputError("half_lives_buckets", hl, "must be three half-lives")
        for h in hl:
            _checks.positive("half_lives_buckets", h)
        object.__setattr__(self, "half_lives_buckets", tuple(float(h) for h in hl))
        lo = _checks.positive("jump_ratio_min", self.jump_ratio_min)
        if _checks.positive("jump_ratio_max", self.jump_ratio_max) < lo:
            raise InvalidInputError(
                "jump_ratio_max", self.jump_ratio_max, "must be >= jump_ratio_min"
            )
        _checks.positive("toxic_threshold", self.toxic_threshold)
        _checks.unit_interval_closed("max_blend", self.max_blend)
        _checks.positive("truncation_sds", self.truncation_sds)


class MultiScaleBipowerEstimator(Stateful):
    """Realised (RV) and bipower (BV) variance EWMAs at three scales (see module docstring).

    >>> est = MultiScaleBipowerEstimator()
    >>> for r in (1e-4, -1e-4, 1e-4):
    ...     est.update(r)
    >>> round(est.jump_ratio, 4)  # RV / BV of equal |r|: 2 / pi
    0.6366
    """

    __slots__ = (
        "_abs_prev",
        "_bv",
        "_config",
        "_count",
        "_dt_all",
        "_dt_kept",
        "_med",
        "_nonzero",
        "_recent",
        "_rv",
        "_trv",
    )
    _state_config = BipowerConfig
    _state_fields = (
        StateField("rv", "_rv", ComponentList()),
        StateField("bv", "_bv", ComponentList()),
        StateField("nonzero", "_nonzero", ComponentList()),
        StateField("truncated", "_trv", Component()),
        StateField("median_rv", "_med", Component()),
        StateField("recent", "_recent", FloatList()),
        StateField("durations", "_dt_all", Component()),
        StateField("kept_durations", "_dt_kept", Component()),
        StateField("abs_prev", "_abs_prev", OPTIONAL_FLOAT),
        StateField("observation_count", "_count", INT),
    )

    def __init__(self, config: BipowerConfig | None = None) -> None:
        self._config = BipowerConfig() if config is None else config
        self._rv = [NormalisedTickEWMA(h) for h in self._config.half_lives_buckets]
        self._bv = [NormalisedTickEWMA(h) for h in self._config.half_lives_buckets]
        self._nonzero = [NormalisedTickEWMA(h) for h in self._config.half_lives_buckets]
        slow = self._config.half_lives_buckets[2]
        self._trv = NormalisedTickEWMA(slow)
        self._dt_all = NormalisedTickEWMA(slow)
        self._dt_kept = NormalisedTickEWMA(slow)
        self._med = NormalisedTickEWMA(self._config.half_lives_buckets[1])
        self._recent: list[float] = []
        self._abs_prev: float | None = None
        self._count = 0

    @property
    def config(self) -> BipowerConfig:
        return self._config

    @property
    def observation_count(self) -> int:
        """Number of returns accepted."""
        return self._count

    def update(self, log_return: float, duration_ms: float | None = None) -> None:
        """Fold in one volume-bucket log return (finite) and, for the variance rates, the time
        it spans in ms (finite, >= 0; give it on every update or on none)."""
        r = _checks.finite("log_return", log_return)
        dt = None if duration_ms is None else _checks.non_negative("duration_ms", duration_ms)
        rr = r * r
        nonzero = r != 0.0
        bp = None
        if nonzero and self._abs_prev is not None:
            bp = _HALF_PI * abs(r) * self._abs_prev
        if not math.isfinite(rr) or (bp is not None and not math.isfinite(bp)):
            raise InvalidInputError("log_return", log_return, "square would overflow float64")
        scale = self._time_scale(dt)
        yardstick = self._med.value  # before this return
        for rv, nz in zip(self._rv, self._nonzero, strict=True):
            rv.update(rr)
            nz.update(1.0 if nonzero else 0.0)
        if bp is not None:
            for bv in self._bv:
                bv.update(bp)
        if dt is not None:
            self._dt_all.update(dt)
        if yardstick is not None and rr <= self._config.truncation_sds**2 * yardstick * scale:
            self._trv.update(rr)
            if dt is not None:
                self._dt_kept.update(dt)
        if nonzero:
            self._recent = [*self._recent[-2:], abs(r) / math.sqrt(scale)]
            if len(self._recent) == 3:
                self._med.update(sorted(self._recent)[1] ** 2 / _MEDIAN_SQUARE)
        if nonzero:
            self._abs_prev = abs(r)
        self._count += 1

    def _time_scale(self, duration_ms: float | None) -> float:
        """The time unit a return is normalised by: max(duration, mean duration) in ms (1 ms
        at least; 1 without durations, i.e. per bucket)."""
        if duration_ms is None:
            return 1.0
        mean = self._dt_all.value
        return max(duration_ms, 0.0 if mean is None else mean, 1.0)

    def diffusive_variance(self, duration_ms: float) -> float | None:
        """Clean variance of a return spanning ``duration_ms``: the clean rate per ms times its
        time scale max(duration, mean duration) (module docstring); None without durations or
        before the clean rate exists."""
        rate = self.clean_variance_per_s
        if rate is None or self._dt_all.value is None:
            return None
        return rate / 1000.0 * self._time_scale(_checks.non_negative("duration_ms", duration_ms))

    @staticmethod
    def _scale(scale: int) -> int:
        if isinstance(scale, bool) or not isinstance(scale, int) or not 0 <= scale <= 2:
            raise InvalidInputError("scale", scale, "must be 0 (fast), 1 (medium) or 2 (slow)")
        return scale

    def realized_variance(self, scale: int) -> float | None:
        """RV at ``scale`` (0 fast, 1 medium, 2 slow), per bucket; ``None`` before data."""
        return self._rv[self._scale(scale)].value

    def bipower_variance(self, scale: int) -> float | None:
        """BV = Z B at ``scale`` (0 fast, 1 medium, 2 slow), per bucket; ``None`` before two
        nonzero returns."""
        i = self._scale(scale)
        b, z = self._bv[i].value, self._nonzero[i].value
        return None if b is None or z is None else z * b

    @property
    def truncated_variance(self) -> float | None:
        """TRV, the clean (jump-truncated) variance per bucket; ``None`` until a return arrives
        after two nonzero ones."""
        return self._trv.value

    @property
    def sigma_clean(self) -> float | None:
        """``sqrt(TRV)``: jump-robust log-return sd per bucket."""
        trv = self._trv.value
        return None if trv is None else math.sqrt(trv)

    @property
    def sigma_total(self) -> float | None:
        """``sqrt(RV_slow)``: log-return sd per bucket including jumps."""
        rv = self._rv[2].value
        return None if rv is None else math.sqrt(rv)

    @property
    def jump_ratio(self) -> float | None:
        """``RV_fast / BV_fast`` clamped to [ratio min, max] (BV = 0: see module)."""
        bv, rv = self.bipower_variance(0), self._rv[0].value
        if bv is None or rv is None:
            return None
        cfg = self._config
        if bv == 0.0:  # the products underflowed to 0
            return cfg.jump_ratio_max
        return min(cfg.jump_ratio_max, max(cfg.jump_ratio_min, rv / bv))

    @property
    def blend_weight(self) -> float | None:
        """``w = clamp(1 - 1/jump_ratio, 0, max_blend)``; 0 when the jump ratio is undefined."""
        if self.bipower_variance(0) is None:
            return None
        ratio = self.jump_ratio
        if ratio is None:
            return 0.0
        return min(self._config.max_blend, max(0.0, 1.0 - 1.0 / ratio))

    @property
    def sigma_effective(self) -> float | None:
        """``sqrt((1 - w) TRV + w RV_slow)``, per bucket; ``None`` before two nonzero returns."""
        w = self.blend_weight
        trv, rv = self._trv.value, self._rv[2].value
        if w is None or trv is None or rv is None:
            return None
        return math.sqrt((1.0 - w) * trv + w * rv)

    @property
    def clean_variance_per_s(self) -> float | None:
        """``1000 TRV / EWMA(dt kept)``: clean log variance per second; ``None`` without
        durations or while the kept durations are all 0."""
        trv, dt = self._trv.value, self._dt_kept.value
        return None if trv is None or not dt else 1000.0 * trv / dt

    @property
    def effective_variance_per_s(self) -> float | None:
        """``(1 - w) clean + w total`` variance per second, total = 1000 RV_slow / EWMA(dt)."""
        clean, w, dt = self.clean_variance_per_s, self.blend_weight, self._dt_all.value
        if clean is None or w is None or not dt:
            return None
        return (1.0 - w) * clean + w * 1000.0 * self._rv[2].value / dt

    @property
    def is_toxic(self) -> bool:
        """True when the jump ratio exceeds ``toxic_threshold``."""
        ratio = self.jump_ratio
        return ratio is not None and ratio > self._config.toxic_threshold
