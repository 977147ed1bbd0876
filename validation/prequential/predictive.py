"""One-step-ahead predictive distributions and their PIT, log score and CRPS (vectorised).

Scores are negatively oriented (lower is better), as in ``scoringrules``: the log score is
``-log p(y)``, the CRPS is ``int (F(x) - 1{x >= y})^2 dx``.

**Trade distance** (fraction of the mid). The kappa posterior Gamma(a, b) (shape-rate) and an
Exp(kappa) likelihood give the posterior predictive

    p(d) = int kappa e^{-kappa d} Gamma(kappa; a, b) dkappa = a b^a / (b + d)^(a + 1),

a Lomax (Pareto II) law with shape a and scale b: ``scipy.stats.lomax(c=a, scale=b)``, i.e. a
generalised Pareto with shape 1/a and scale b/a (``scoringrules.crps_gpd``; finite CRPS needs
a > 1, the prior alone has a = 5).

**Bucket return** (log return over a bucket of duration dt seconds). With sigma per sqrt(s)
and the jump classifier's (pi, sigma_d, sigma_j) in per-bucket units, a bucket return is a
diffusion over dt plus, with probability pi, an independent jump whose variance is the
classifier's excess sigma_j^2 - sigma_d^2:

    r | dt ~ (1 - pi) N(0, sigma^2 dt) + pi N(0, sigma^2 dt + sigma_j^2 - sigma_d^2).

Without a classifier (V1's binary 3-sigma rule has no mixture) pi = 0.

**Offset distance** (fraction of the mid; the zero-inflated, mid-censored offset model of
:mod:`validation.realdata.ppc`). Given the prevailing half-spread h, a trade is at the touch
(d = h) with probability p, else it improves on the touch by x ~ Lomax(a, b) (the posterior
predictive of x ~ Exp(kappa_inside), kappa_inside ~ Gamma(a, b)) and executes at
d = max(h - x, 0). With S(x) = (b / (b + x))^a its CDF on [0, h] is

    F(d) = (1 - p) S(h - d) for 0 <= d < h,   F(h) = 1,

with atoms (1 - p) S(h) at the mid and p at the touch. Its CRPS at 0 <= y <= h is
``int_0^h F^2 - 2 int_y^h F + (h - y)``, closed form from
``int_u^v F = (1 - p) b / (a - 1) [S(h - v)^((a-1)/a) - S(h - u)^((a-1)/a)]``.

**Discrete observations.** LOBSTER prices live on a grid, so a distance or a mid is known only
to a cell [lo, hi]. For a cell the PIT is randomised, u = F(lo) + V (F(hi) - F(lo)) with
V ~ U(0, 1), which is exactly uniform when F is the law of the underlying continuous value,
and the log score is ``-log P(lo < Y <= hi)`` (proper for the cell). lo == hi is a point
observation (density score). The CRPS is that of the continuous forecast at the cell centre.

Example::

    >>> import numpy as np
    >>> d = np.array([1e-4, 4e-4])
    >>> s = lomax_scores(d, d, np.full(2, 50.0), np.full(2, 0.02), np.random.default_rng(0))
    >>> bool(np.all((s.pit > 0) & (s.pit < 1)))
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scoringrules as sr
from scipy import special, stats


@dataclass(frozen=True)
class Scores:
    """Per-observation PIT in [0, 1], log score and CRPS (lower is better), in input order."""

    pit: np.ndarray
    log_score: np.ndarray
    crps: np.ndarray


def _randomised(f_lo: np.ndarray, f_hi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(f_lo + rng.random(f_lo.shape) * (f_hi - f_lo), 0.0, 1.0)


def lomax_scores(
    lo: np.ndarray, hi: np.ndarray, a: np.ndarray, b: np.ndarray, rng: np.random.Generator
) -> Scores:
    """Scores of distance cells [lo, hi] (fractions of the mid) under Lomax(c=a, scale=b).

    ``a`` > 1 and ``b`` > 0 are the kappa posterior's shape and rate (1 / fraction of mid).
    """
    lo, hi, a, b = (np.asarray(x, dtype=float) for x in (lo, hi, a, b))
    if np.any(a <= 1.0) or np.any(b <= 0.0):
        raise ValueError("Lomax scores need shape a > 1 and rate b > 0")
    if np.any(lo < 0.0) or np.any(hi < lo):
        raise ValueError("distance cells need 0 <= lo <= hi")
    law = stats.lomax(c=a, scale=b)
    point = hi == lo
    with np.errstate(divide="ignore"):
        log_cell = np.where(
            point,
            law.logpdf(hi),
            law.logsf(lo) + np.log1p(-np.exp(np.minimum(law.logsf(hi) - law.logsf(lo), 0.0))),
        )
    centre = 0.5 * (lo + hi)
    crps = sr.crps_gpd(centre, 1.0 / a, 0.0, b / a)
    return Scores(_randomised(law.cdf(lo), law.cdf(hi), rng), -log_cell, np.asarray(crps))


def _offset_log_cdf(d: np.ndarray, h: np.ndarray, p: np.ndarray, a: np.ndarray, b: np.ndarray):
    """log F(d) of the offset predictive for 0 <= d < h (module docstring)."""
    return np.log1p(-p) - a * np.log1p((h - d) / b)


def _offset_integral(u, v, h, p, a, b, power: int) -> np.ndarray:
    """int_u^v F(x)^power dx over 0 <= u <= v <= h, power 1 or 2."""
    k = power * a - 1.0
    ratio = lambda x: np.exp(-k * np.log1p((h - x) / b))  # noqa: E731  (b / (b + h - x))^k
    return (1.0 - p) ** power * b / k * (ratio(v) - ratio(u))


def offset_scores(
    lo: np.ndarray,
    hi: np.ndarray,
    half_spread: np.ndarray,
    p_touch: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    observed: np.ndarray,
    rng: np.random.Generator,
) -> Scores:
    """Scores of distance cells [lo, hi] within [0, h] under the offset predictive (module
    docstring): touch probability ``p_touch``, improvement x ~ Lomax(c=a, scale=b).

    The cell's probability is F(hi) - F(lo-) (F(0-) = 0, F(h-) = 1 - p); a point cell strictly
    inside (0, h) scores the density (1 - p) a / b (1 + (h - d) / b)^-(a + 1). The CRPS is at
    ``observed`` (the distance itself). Units: fractions of the mid; ``b`` in the same.
    """
    lo, hi, h, p, a, b, y = (
        np.asarray(x, dtype=float) for x in (lo, hi, half_spread, p_touch, a, b, observed)
    )
    for name, bad in (("a", a <= 1.0), ("b", b <= 0.0), ("p_touch", (p <= 0.0) | (p >= 1.0))):
        if np.any(bad):
            value = {"a": a, "b": b, "p_touch": p}[name][bad].ravel()[0]
            raise ValueError(f"{name}={float(value)!r}: need a > 1, b > 0 and 0 < p_touch < 1")
    bad = (lo < 0.0) | (hi < lo) | (hi > h) | (y < lo) | (y > hi)
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        cell = tuple(float(v.ravel()[i]) for v in (lo, y, hi, h))
        raise ValueError(
            f"(lo, observed, hi, half_spread)={cell}: need 0 <= lo <= observed <= hi <= half_spread"
        )
    inner = lambda x: np.minimum(x, np.nextafter(h, 0.0))  # noqa: E731
    log_f_hi = np.where(hi >= h, 0.0, _offset_log_cdf(inner(hi), h, p, a, b))
    with np.errstate(divide="ignore"):
        log_f_lo = np.where(
            lo <= 0.0,
            -np.inf,
            np.where(lo >= h, np.log1p(-p), _offset_log_cdf(inner(lo), h, p, a, b)),
        )
    density = (lo == hi) & (lo > 0.0) & (lo < h)
    log_density = np.log1p(-p) + np.log(a / b) - (a + 1.0) * np.log1p((h - inner(lo)) / b)
    with np.errstate(divide="ignore"):
        log_cell = log_f_hi + np.log1p(-np.exp(np.minimum(log_f_lo - log_f_hi, 0.0)))
    f_lo, f_hi = np.exp(log_f_lo), np.exp(log_f_hi)
    pit = np.where(density, f_hi, _randomised(f_lo, f_hi, rng))
    zero = np.zeros_like(h)
    crps = _offset_integral(zero, h, h, p, a, b, 2) - 2.0 * _offset_integral(y, h, h, p, a, b, 1)
    return Scores(pit, -np.where(density, log_density, log_cell), crps + (h - y))


def _log_normal_cell(lo: np.ndarray, hi: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """log P(lo < X <= hi) for X ~ N(0, sd^2), stable in both tails (by symmetry)."""
    flip = lo > 0.0  # right tail: P(lo < X <= hi) = P(-hi <= X < -lo)
    a = np.where(flip, -hi, lo) / sd
    c = np.where(flip, -lo, hi) / sd
    upper, lower = special.log_ndtr(c), special.log_ndtr(a)
    with np.errstate(divide="ignore"):
        return upper + np.log1p(-np.exp(np.minimum(lower - upper, 0.0)))


def mixture_scores(
    lo: np.ndarray,
    hi: np.ndarray,
    sd_diffusion: np.ndarray,
    sd_jump: np.ndarray,
    pi: np.ndarray,
    rng: np.random.Generator,
) -> Scores:
    """Scores of log-return cells [lo, hi] under (1 - pi) N(0, sd_d^2) + pi N(0, sd_j^2)."""
    lo, hi, sd_d, sd_j, pi = (
        np.asarray(x, dtype=float) for x in (lo, hi, sd_diffusion, sd_jump, pi)
    )
    if np.any(sd_d <= 0.0) or np.any(sd_j < sd_d) or np.any((pi < 0.0) | (pi >= 1.0)):
        raise ValueError("mixture scores need 0 < sd_d <= sd_j and 0 <= pi < 1")
    if np.any(hi < lo):
        raise ValueError("return cells need lo <= hi")
    point = hi == lo
    with np.errstate(divide="ignore"):
        log_w = np.stack([np.log1p(-pi), np.log(pi)], axis=-1)
    sds = np.stack([sd_d, sd_j], axis=-1)
    lo2, hi2 = lo[..., None], hi[..., None]
    log_density = stats.norm.logpdf(hi2, scale=sds)
    log_cell = np.where(point[..., None], log_density, _log_normal_cell(lo2, hi2, sds))
    log_p = special.logsumexp(log_w + log_cell, axis=-1)
    w = np.exp(log_w)
    cdf_lo = np.sum(w * stats.norm.cdf(lo2, scale=sds), axis=-1)
    cdf_hi = np.sum(w * stats.norm.cdf(hi2, scale=sds), axis=-1)
    centre = 0.5 * (lo + hi)
    crps = sr.crps_mixnorm(centre, np.zeros_like(sds), sds, w)
    return Scores(_randomised(cdf_lo, cdf_hi, rng), -log_p, np.asarray(crps))
