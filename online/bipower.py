"""Multi-scale realised and bipower variance of volume-bucket log returns.

Input: one log return ``r_t`` per volume bucket (dimensionless; e.g.
:attr:`online.volume_clock.VolumeBucket.log_return`). For each of three half-lives ``h`` (in
buckets; fast, medium, slow = 5, 20, 100 by default)::

    RV_h = EWMA_h(r_t**2)                                (from the first return)
    BV_h = EWMA_h((pi/2) |r_t| |r_{t-1}|)                (from the second return)

each a :class:`online.ewma.TickEWMA` with ``alpha = 1 - 2**(-1/h)`` started from its first
observation, i.e. the normalised weighted mean with weights ``(1 - alpha)**(n-1)`` on the first
term and ``alpha (1 - alpha)**(n-i)`` on term i >= 2. For i.i.d. N(0, sigma**2) returns
``E|r_t||r_{t-1}| = (2/pi) sigma**2``, so both are unbiased for the per-bucket variance; a jump
enters RV squared but BV only through its product with a neighbouring diffusive return.

Derived quantities (variances per bucket, sigmas = log-return sd per bucket)::

    sigma_clean = sqrt(BV_slow),  sigma_total = sqrt(RV_slow)
    jump_ratio  = clamp(RV_fast / BV_fast, jump_ratio_min, jump_ratio_max)   (toxic above 1.5)
    w = clamp(1 - 1/jump_ratio, 0, max_blend)
    sigma_effective = sqrt((1 - w) BV_slow + w RV_slow)

The blend is of *variances* (the quantity both estimators measure), so sigma_effective**2 is a
convex combination of the clean and the total variance and lies between them.

BV = 0 guard: BV_fast is 0 only if every product so far is 0 (e.g. zero returns on a discrete
price grid). Then the jump ratio is ``jump_ratio_max`` if RV_fast > 0 (all variation is in
isolated moves) and ``None`` if RV_fast = 0 as well (no variation at all; the blend weight is
then 0). Before the second return the BV-based quantities are ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from online import _checks
from online._state import pack, strict_loader, unpack
from online.errors import InvalidInputError, StateDictError
from online.ewma import TickEWMA

_HALF_PI = 0.5 * math.pi


@dataclass(frozen=True)
class BipowerConfig:
    """Configuration (production defaults).

    Attributes:
        half_lives_buckets: EWMA half-lives (fast, medium, slow) in buckets, each finite > 0.
        jump_ratio_min, jump_ratio_max: clamp of RV_fast / BV_fast ([0.1, 100]).
        toxic_threshold: jump ratio above which the flow is flagged toxic (1.5).
        max_blend: cap on the weight of the total variance in sigma_effective (0.85), in [0, 1].
    """

    half_lives_buckets: tuple[float, float, float] = (5.0, 20.0, 100.0)
    jump_ratio_min: float = 0.1
    jump_ratio_max: float = 100.0
    toxic_threshold: float = 1.5
    max_blend: float = 0.85

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


class MultiScaleBipowerEstimator:
    """Realised (RV) and bipower (BV) variance EWMAs at three scales (see module docstring)."""

    __slots__ = ("_abs_prev", "_bv", "_config", "_count", "_rv")

    def __init__(self, config: BipowerConfig | None = None) -> None:
        self._config = BipowerConfig() if config is None else config
        self._rv = [TickEWMA(h) for h in self._config.half_lives_buckets]
        self._bv = [TickEWMA(h) for h in self._config.half_lives_buckets]
        self._abs_prev: float | None = None
        self._count = 0

    @property
    def config(self) -> BipowerConfig:
        return self._config

    @property
    def observation_count(self) -> int:
        """Number of returns accepted."""
        return self._count

    def update(self, log_return: float) -> None:
        """Fold in one volume-bucket log return (finite)."""
        r = _checks.finite("log_return", log_return)
        rr = r * r
        bp = None if self._abs_prev is None else _HALF_PI * abs(r) * self._abs_prev
        if not math.isfinite(rr) or (bp is not None and not math.isfinite(bp)):
            raise InvalidInputError("log_return", log_return, "square would overflow float64")
        for rv in self._rv:
            rv.update(rr)
        if bp is not None:
            for bv in self._bv:
                bv.update(bp)
        self._abs_prev = abs(r)
        self._count += 1

    @staticmethod
    def _scale(scale: int) -> int:
        if isinstance(scale, bool) or not isinstance(scale, int) or not 0 <= scale <= 2:
            raise InvalidInputError("scale", scale, "must be 0 (fast), 1 (medium) or 2 (slow)")
        return scale

    def realized_variance(self, scale: int) -> float | None:
        """RV at ``scale`` (0 fast, 1 medium, 2 slow), per bucket; ``None`` before data."""
        return self._rv[self._scale(scale)].value

    def bipower_variance(self, scale: int) -> float | None:
        """BV at ``scale`` (0 fast, 1 medium, 2 slow), per bucket; ``None`` before 2 returns."""
        return self._bv[self._scale(scale)].value

    @property
    def sigma_clean(self) -> float | None:
        """``sqrt(BV_slow)``: jump-robust log-return sd per bucket."""
        bv = self._bv[2].value
        return None if bv is None else math.sqrt(bv)

    @property
    def sigma_total(self) -> float | None:
        """``sqrt(RV_slow)``: log-return sd per bucket including jumps."""
        rv = self._rv[2].value
        return None if rv is None else math.sqrt(rv)

    @property
    def jump_ratio(self) -> float | None:
        """``RV_fast / BV_fast`` clamped to [ratio min, max] (BV = 0: see module)."""
        bv, rv = self._bv[0].value, self._rv[0].value
        if bv is None or rv is None:
            return None
        cfg = self._config
        if bv == 0.0:
            return cfg.jump_ratio_max if rv > 0.0 else None
        return min(cfg.jump_ratio_max, max(cfg.jump_ratio_min, rv / bv))

    @property
    def blend_weight(self) -> float | None:
        """``w = clamp(1 - 1/jump_ratio, 0, max_blend)``; 0 when the jump ratio is undefined."""
        if self._bv[0].value is None:
            return None
        ratio = self.jump_ratio
        if ratio is None:
            return 0.0
        return min(self._config.max_blend, max(0.0, 1.0 - 1.0 / ratio))

    @property
    def sigma_effective(self) -> float | None:
        """``sqrt((1 - w) BV_slow + w RV_slow)``, per bucket; ``None`` before 2 returns."""
        w = self.blend_weight
        bv, rv = self._bv[2].value, self._rv[2].value
        if w is None or bv is None or rv is None:
            return None
        return math.sqrt((1.0 - w) * bv + w * rv)

    @property
    def is_toxic(self) -> bool:
        """True when the jump ratio exceeds ``toxic_threshold``."""
        ratio = self.jump_ratio
        return ratio is not None and ratio > self._config.toxic_threshold

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state; :meth:`from_state_dict` restores it exactly."""
        state = {
            "rv": [e.state_dict() for e in self._rv],
            "bv": [e.state_dict() for e in self._bv],
            "abs_prev": self._abs_prev,
            "observation_count": self._count,
        }
        return pack("MultiScaleBipowerEstimator", self._config, state)

    @classmethod
    @strict_loader
    def from_state_dict(cls, data: dict[str, Any]) -> MultiScaleBipowerEstimator:
        config, state = unpack("MultiScaleBipowerEstimator", BipowerConfig, data)
        obj = cls(config)
        try:
            rv = [TickEWMA.from_state_dict(s) for s in state["rv"]]
            bv = [TickEWMA.from_state_dict(s) for s in state["bv"]]
            if len(rv) != 3 or len(bv) != 3:
                raise ValueError("expected three scales")
            obj._rv, obj._bv = rv, bv
            prev = state["abs_prev"]
            obj._abs_prev = None if prev is None else float(prev)
            obj._count = int(state["observation_count"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StateDictError(f"malformed MultiScaleBipowerEstimator state: {exc}") from exc
        return obj
