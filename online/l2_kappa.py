"""Market kappa from the shape of the L2 order book (exponential depth profile).

Model: the resting size at a level a distance ``d`` from the mid decays like
``size(d) = A exp(-kappa d)``, so per side ``ln size = ln A - kappa d`` is a straight line and
``kappa = -slope``. Units: ``d = |level price - mid| / mid`` (a fraction of the mid, 1 bp =
1e-4) with ``mid = (best bid + best ask) / 2``; kappa is in 1 / (fraction of mid), the unit of
the trade-distance kappa (kappa = 2000 means a depth e-folding distance of 5 bp).

Per snapshot and side (:func:`fit_side`): ordinary least squares of ``y = ln size`` on
``x = d`` over the *occupied* levels (finite price and size > 0), computed on centred data::

    x_bar = mean(x), y_bar = mean(y)
    Sxx = sum (x - x_bar)^2, Syy = sum (y - y_bar)^2, Sxy = sum (x - x_bar)(y - y_bar)
    slope = Sxy / Sxx, intercept = y_bar - slope x_bar, R^2 = Sxy^2 / (Sxx Syy)

A side is *usable* when it has at least ``min_levels`` (3) occupied levels, ``R^2 >=
min_r_squared`` (0.3) and ``slope < 0`` (depth that grows away from the mid says nothing about
kappa). The snapshot kappa is the R^2-weighted mean over the usable sides,
``k_snap = sum_s R2_s (-slope_s) / sum_s R2_s``, clamped to ``[kappa_min, kappa_max]``
([50, 10000]) *before* smoothing, so one degenerate snapshot (two levels a tick apart) moves
the smoothed value by at most ``alpha (kappa_max - kappa)``.

Smoothing: the reported :attr:`MarketKappaFromL2.kappa` is a tick EWMA of the clamped snapshot
kappas with half-life ``half_life_snapshots`` (default 100 snapshots; alpha = 1 - 2^(-1/h)),
the first usable snapshot setting the value. Being a convex combination of clamped values it
stays in ``[kappa_min, kappa_max]``.

Fallback (no usable side): the snapshot is *skipped* for the kappa EWMA and counted in
:attr:`MarketKappaFromL2.fallback_count`; the reported kappa is the prior (2000) until the
first usable snapshot and the last smoothed value afterwards. Feeding the prior into the EWMA
instead (the literal "fall back to 2000") would make the kappa a mixture
``(1 - f) kappa_book + f 2000`` whose value depends on the fallback rate ``f`` of the venue
rather than on its book; the staleness is reported instead through the confidence, which
decays toward its floor while snapshots are unusable.

Confidence: a tick EWMA (same half-life) of the snapshot quality ``q = sum_s R2_s^2 /
sum_s R2_s`` (the R^2-weighted mean R^2 of the usable sides; q = 0 for a fallback snapshot),
floored at ``min_confidence`` so it lies in (0, 1] as
:meth:`online.HierarchicalKappa.update_market_kappa` requires. It is ``min_confidence`` before
any snapshot.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from online import _checks
from online.errors import InvalidInputError
from online.ewma import TickEWMA
from online.serialization import INT, OPTIONAL_INT, Component, Custom, StateField, Stateful


@dataclass(frozen=True)
class L2KappaConfig:
    """Production defaults of the L2-book market kappa.

    Attributes:
        prior_kappa: kappa reported before the first usable snapshot (1/fraction of mid).
        min_r_squared: a side is usable only when its fit has R^2 >= this, in [0, 1].
        kappa_min, kappa_max: clamp of every snapshot kappa (1/fraction of mid),
            0 < kappa_min < kappa_max; the prior must lie inside.
        half_life_snapshots: half-life of the kappa and confidence EWMAs, in snapshots (> 0).
        min_levels: occupied levels (size > 0) a side needs for its fit, integer >= 3.
        min_confidence: floor of the reported confidence, in (0, 1].
    """

    prior_kappa: float = 2000.0
    min_r_squared: float = 0.3
    kappa_min: float = 50.0
    kappa_max: float = 10_000.0
    half_life_snapshots: float = 100.0
    min_levels: int = 3
    min_confidence: float = 0.01

    def __post_init__(self) -> None:
        _checks.unit_interval_closed("min_r_squared", self.min_r_squared)
        lo = _checks.positive("kappa_min", self.kappa_min)
        hi = _checks.positive("kappa_max", self.kappa_max)
        if hi <= lo:
            raise InvalidInputError("kappa_max", self.kappa_max, "must exceed kappa_min")
        prior = _checks.positive("prior_kappa", self.prior_kappa)
        if not lo <= prior <= hi:
            raise InvalidInputError("prior_kappa", self.prior_kappa, "must lie in the clamp")
        _checks.positive("half_life_snapshots", self.half_life_snapshots)
        if isinstance(self.min_levels, bool) or not isinstance(self.min_levels, int):
            raise InvalidInputError("min_levels", self.min_levels, "must be an integer")
        if self.min_levels < 3:
            raise InvalidInputError("min_levels", self.min_levels, "must be >= 3")
        conf = _checks.positive("min_confidence", self.min_confidence)
        if conf > 1.0:
            raise InvalidInputError("min_confidence", self.min_confidence, "must be <= 1")


@dataclass(frozen=True)
class BookFit:
    """Least-squares fit of ln(size) on distance for one side of one snapshot.

    ``slope`` is in 1 / (fraction of mid) (kappa = -slope), ``intercept`` is ln(shares) at the
    mid. ``slope``, ``intercept`` and ``r_squared`` are NaN when the side has fewer than two
    occupied levels or all its distances are equal. A flat side (all sizes equal, so
    ``Syy = 0``) has ``slope = 0`` and ``r_squared`` defined as 0 (``scipy.stats.linregress``
    returns NaN there); it is never usable.
    """

    slope: float
    intercept: float
    r_squared: float
    n_levels: int
    usable: bool


_NAN = float("nan")


def fit_side(
    distances: np.ndarray,
    sizes: np.ndarray,
    *,
    min_levels: int = 3,
    min_r_squared: float = 0.3,
) -> BookFit:
    """OLS of ln(size) on distance over the levels with size > 0 (module docstring formulas).

    Args:
        distances: |price - mid| / mid per level (fraction of mid); may be NaN where the size
            is 0 (an empty level), otherwise finite and >= 0.
        sizes: resting size per level (shares, finite, >= 0), same length.
        min_levels: occupied levels needed for a usable fit.
        min_r_squared: R^2 needed for a usable fit.

    Returns:
        The :class:`BookFit`; ``usable`` is ``n_levels >= min_levels and R^2 >= min_r_squared
        and slope < 0``.

    Raises:
        InvalidInputError: mismatched lengths, not 1-D, NaN/inf or negative size, or a
            non-finite or negative distance at an occupied level.
    """
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(sizes, dtype=np.float64)
    if d.ndim != 1 or s.shape != d.shape:
        raise InvalidInputError("sizes", s.shape, f"must be 1-D and match distances {d.shape}")
    if not np.isfinite(s).all() or (s < 0.0).any():
        raise InvalidInputError("sizes", sizes, "must be finite and >= 0")
    occupied = s > 0.0
    x = d[occupied]
    if not np.isfinite(x).all() or (x < 0.0).any():
        raise InvalidInputError("distances", distances, "must be finite and >= 0 where size > 0")
    # a book side has a few to a few dozen levels: plain floats beat numpy's per-call overhead
    xs = x.tolist()
    n = len(xs)
    if n < 2 or min(xs) == max(xs):
        return BookFit(_NAN, _NAN, _NAN, n, False)
    ys = [math.log(v) for v in s[occupied].tolist()]
    if min(ys) == max(ys):  # flat side, exactly (centred sums would leave rounding residue)
        return BookFit(0.0, ys[0], 0.0, n, False)
    x_bar, y_bar = math.fsum(xs) / n, math.fsum(ys) / n
    dx = [v - x_bar for v in xs]
    dy = [v - y_bar for v in ys]
    sxx = math.fsum(a * a for a in dx)
    sxy = math.fsum(a * b for a, b in zip(dx, dy, strict=True))
    syy = math.fsum(b * b for b in dy)
    slope = sxy / sxx
    intercept = y_bar - slope * x_bar
    r_squared = min(1.0, sxy * sxy / (sxx * syy))
    usable = n >= min_levels and r_squared >= min_r_squared and slope < 0.0
    return BookFit(slope, intercept, r_squared, n, usable)


def _side(field: str, prices: Any, sizes: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validated (prices, sizes) float arrays of one side, level 1 first."""
    p = np.asarray(prices, dtype=np.float64)
    s = np.asarray(sizes, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise InvalidInputError(f"{field}_prices", prices, "must be a non-empty 1-D array")
    if s.shape != p.shape:
        raise InvalidInputError(f"{field}_sizes", sizes, f"length must match {p.size} prices")
    if not np.isfinite(s).all() or (s < 0.0).any():
        raise InvalidInputError(f"{field}_sizes", sizes, "must be finite and >= 0")
    empty = np.isnan(p)
    listed = p[~empty]
    if not np.isfinite(listed).all() or (listed <= 0.0).any():
        raise InvalidInputError(f"{field}_prices", prices, "must be > 0 and finite, or NaN")
    if (s[empty] > 0.0).any():
        raise InvalidInputError(f"{field}_sizes", sizes, "must be 0 where the price is NaN")
    if empty[0]:
        raise InvalidInputError(f"{field}_prices", prices, "best level is empty")
    return p, s


def _fit_to_dict(fit: BookFit | None) -> dict[str, Any] | None:
    if fit is None:
        return None
    return {
        k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(fit).items()
    }


def _fit_from_dict(data: dict[str, Any] | None) -> BookFit | None:
    if data is None:
        return None
    num = {
        k: _NAN if data[k] is None else float(data[k]) for k in ("slope", "intercept", "r_squared")
    }
    return BookFit(n_levels=int(data["n_levels"]), usable=bool(data["usable"]), **num)


def _fits_to_json(fits: tuple[BookFit | None, BookFit | None]) -> list[dict[str, Any] | None]:
    return [_fit_to_dict(f) for f in fits]


def _fits_from_json(data: list[Any]) -> tuple[BookFit | None, BookFit | None]:
    bid, ask = (_fit_from_dict(f) for f in data)
    return bid, ask


class MarketKappaFromL2(Stateful):
    """Smoothed market kappa from per-snapshot exponential depth fits (module docstring).

    >>> import numpy as np
    >>> d = np.arange(1, 6) * 1e-4  # level distances from the mid 100
    >>> sizes = 1_000 * np.exp(-2_000 * d)  # depth decaying at kappa 2000
    >>> est = MarketKappaFromL2()
    >>> round(est.on_book(100 * (1 - d), sizes, 100 * (1 + d), sizes, 0), 6)
    2000.0
    """

    _state_config = L2KappaConfig
    _state_fields = (
        StateField("kappa_ewma", "_kappa", Component()),
        StateField("quality_ewma", "_quality", Component()),
        StateField("last_fits", "_fits", Custom(_fits_to_json, _fits_from_json)),
        StateField("snapshot_count", "_snapshots", INT),
        StateField("fallback_count", "_fallbacks", INT),
        StateField("last_ms", "_last_ms", OPTIONAL_INT),
    )

    def __init__(self, config: L2KappaConfig = L2KappaConfig()) -> None:
        self.config = config
        self._kappa = TickEWMA(config.half_life_snapshots)
        self._quality = TickEWMA(config.half_life_snapshots)
        self._fits: tuple[BookFit | None, BookFit | None] = (None, None)
        self._snapshots = 0
        self._fallbacks = 0
        self._last_ms: int | None = None

    def on_book(
        self,
        bid_prices: np.ndarray,
        bid_sizes: np.ndarray,
        ask_prices: np.ndarray,
        ask_sizes: np.ndarray,
        timestamp_ms: int,
    ) -> float:
        """Fold in one L2 snapshot and return the smoothed kappa (1 / fraction of mid).

        Args:
            bid_prices, ask_prices: 1-D, level 1 first, any positive price unit; NaN marks an
                empty level (its size must be 0); bids strictly decreasing and asks strictly
                increasing over the listed levels; level 1 listed on both sides.
            bid_sizes, ask_sizes: resting sizes (finite, >= 0), same lengths as the prices.
            timestamp_ms: integer ms, not before the previous snapshot.

        Raises:
            InvalidInputError: any malformed side, a crossed or locked book (best ask <= best
                bid) or a timestamp going backwards; the state is unchanged.
        """
        bp, bs = _side("bid", bid_prices, bid_sizes)
        ap, as_ = _side("ask", ask_prices, ask_sizes)
        if ap[0] <= bp[0]:
            raise InvalidInputError(
                "ask_prices", float(ap[0]), f"crossed or locked book (best bid {bp[0]})"
            )
        if (np.diff(bp[~np.isnan(bp)]) >= 0.0).any():
            raise InvalidInputError("bid_prices", bid_prices, "must be strictly decreasing")
        if (np.diff(ap[~np.isnan(ap)]) <= 0.0).any():
            raise InvalidInputError("ask_prices", ask_prices, "must be strictly increasing")
        t = _checks.timestamp("timestamp_ms", timestamp_ms, self._last_ms)

        cfg = self.config
        mid = 0.5 * (bp[0] + ap[0])
        with np.errstate(invalid="ignore"):
            bid_fit = fit_side(
                (mid - bp) / mid, bs, min_levels=cfg.min_levels, min_r_squared=cfg.min_r_squared
            )
            ask_fit = fit_side(
                (ap - mid) / mid, as_, min_levels=cfg.min_levels, min_r_squared=cfg.min_r_squared
            )
        usable = [f for f in (bid_fit, ask_fit) if f.usable]
        if usable:
            weight = sum(f.r_squared for f in usable)
            k_snap = sum(f.r_squared * -f.slope for f in usable) / weight
            quality = sum(f.r_squared * f.r_squared for f in usable) / weight
            self._kappa.update(min(max(k_snap, cfg.kappa_min), cfg.kappa_max))
        else:
            quality = 0.0
            self._fallbacks += 1
        self._quality.update(quality)
        self._fits = (bid_fit, ask_fit)
        self._snapshots += 1
        self._last_ms = t
        return self.kappa

    @property
    def kappa(self) -> float:
        """Smoothed, clamped kappa (1 / fraction of mid); the prior before any usable snapshot."""
        value = self._kappa.value
        return self.config.prior_kappa if value is None else value

    @property
    def confidence(self) -> float:
        """max(min_confidence, EWMA of the snapshot quality q), in (0, 1] (module docstring)."""
        q = self._quality.value
        return max(self.config.min_confidence, 0.0 if q is None else q)

    @property
    def last_fits(self) -> tuple[BookFit | None, BookFit | None]:
        """(bid, ask) fits of the last snapshot; (None, None) before any."""
        return self._fits

    @property
    def snapshot_count(self) -> int:
        """Snapshots accepted so far."""
        return self._snapshots

    @property
    def fallback_count(self) -> int:
        """Snapshots with no usable side (skipped by the kappa EWMA)."""
        return self._fallbacks

    @property
    def last_timestamp_ms(self) -> int | None:
        return self._last_ms
