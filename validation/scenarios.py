"""Seeded synthetic data generators. Each returns the data *and* the true parameters.

Units: distances are |price - mid| / mid (fractions; 1 bp = 1e-4); timestamps are integer
milliseconds; returns are log returns. Every generator takes a ``numpy.random.Generator`` so
that a check is reproducible from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GammaPrior:
    """Gamma(alpha, beta) prior on kappa, shape-rate (mean alpha/beta)."""

    alpha: float = 5.0
    beta: float = 5.0 / 2500.0

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.gamma(shape=self.alpha, scale=1.0 / self.beta))


@dataclass(frozen=True)
class KappaData:
    """Fill distances d_i ~ Exp(kappa) (rate kappa), with timestamps and fill volumes."""

    distances: np.ndarray
    timestamps_ms: np.ndarray
    volumes: np.ndarray
    kappa: float


def simulate_kappa(
    rng: np.random.Generator, kappa: float, n: int, span_ms: int = 60_000
) -> KappaData:
    """n distances ~ Exp(rate=kappa) at sorted uniform times in [0, span_ms), and volumes.

    Volumes are log-normal (median 1, sd of log 1) and independent of the distances: they carry
    no information about kappa, which is why weighting by them is wrong.
    """
    distances = rng.exponential(scale=1.0 / kappa, size=n)
    timestamps = np.sort(rng.integers(0, span_ms, size=n)).astype(np.int64)
    volumes = rng.lognormal(mean=0.0, sigma=1.0, size=n)
    return KappaData(distances, timestamps, volumes, float(kappa))


@dataclass(frozen=True)
class HierarchicalData:
    """Market trades and own fills of the hierarchical kappa model.

    kappa_market is drawn from its hyperprior, market distances ~ Exp(kappa_market),
    kappa_own | kappa_market ~ Gamma(a0, rate=a0 / kappa_market), own distances ~ Exp(kappa_own).
    """

    own_distances: np.ndarray
    own_timestamps_ms: np.ndarray
    market_distances: np.ndarray
    kappa_market: float
    kappa_own: float
    a0: float


def simulate_hierarchical(
    rng: np.random.Generator,
    kappa_market: float,
    a0: float,
    n_own: int,
    n_market: int,
    span_ms: int = 60_000,
) -> HierarchicalData:
    """Draw kappa_own | kappa_market, then own and market distances (see HierarchicalData)."""
    kappa_own = float(rng.gamma(shape=a0, scale=kappa_market / a0))
    own = rng.exponential(scale=1.0 / kappa_own, size=n_own)
    times = np.sort(rng.integers(0, span_ms, size=n_own)).astype(np.int64)
    market = rng.exponential(scale=1.0 / kappa_market, size=n_market)
    return HierarchicalData(own, times, market, float(kappa_market), kappa_own, float(a0))


@dataclass(frozen=True)
class JumpData:
    """r_i ~ (1 - pi) N(0, sigma_d^2) + pi N(0, sigma_j^2); ``is_jump`` are the true labels."""

    returns: np.ndarray
    is_jump: np.ndarray
    pi: float
    sigma_d: float
    sigma_j: float


def simulate_jumps(
    rng: np.random.Generator, n: int, pi: float = 0.05, sigma_d: float = 1e-4, sigma_j: float = 5e-4
) -> JumpData:
    """Zero-mean two-component Gaussian mixture of log returns with true labels."""
    is_jump = rng.random(n) < pi
    scale = np.where(is_jump, sigma_j, sigma_d)
    returns = rng.normal(0.0, 1.0, size=n) * scale
    return JumpData(returns, is_jump, float(pi), float(sigma_d), float(sigma_j))


@dataclass(frozen=True)
class IrregularSeries:
    """A noisy level observed at irregular (volume-clock-like) integer-ms timestamps."""

    values: np.ndarray
    timestamps_ms: np.ndarray


def simulate_irregular_series(
    rng: np.random.Generator, n: int, level: float = 1.0, noise_sd: float = 0.1
) -> IrregularSeries:
    """Gaps mix bursts (mean 50 ms, 80%) and lulls (mean 5 s, 20%), as on a volume clock.

    Values are level + N(0, noise_sd^2) with a level shift of +noise_sd*5 half-way through, so
    that how fast an EWMA forgets is visible in its output.
    """
    burst = rng.random(n) < 0.8
    gaps = np.where(burst, rng.exponential(50.0, n), rng.exponential(5000.0, n))
    timestamps = np.cumsum(np.maximum(np.rint(gaps), 1.0)).astype(np.int64)
    values = level + noise_sd * rng.normal(size=n)
    values[n // 2 :] += 5.0 * noise_sd
    return IrregularSeries(values, timestamps)


@dataclass(frozen=True)
class ParameterPath:
    """Point estimates of (kappa, sigma) over time with a known log-scale correlation rho."""

    kappa: np.ndarray
    sigma: np.ndarray
    rho: float


def simulate_parameter_path(
    rng: np.random.Generator,
    n: int,
    rho: float = -0.6,
    kappa_median: float = 2500.0,
    sigma_median: float = 1e-4,
) -> ParameterPath:
    """Correlated log-normal (kappa, sigma) pairs: log-sd 0.2 each, correlation rho in logs."""
    z1 = rng.normal(size=n)
    z2 = rho * z1 + np.sqrt(1.0 - rho * rho) * rng.normal(size=n)
    kappa = kappa_median * np.exp(0.2 * z1)
    sigma = sigma_median * np.exp(0.2 * z2)
    return ParameterPath(kappa, sigma, float(rho))


@dataclass(frozen=True)
class BucketDurations:
    """Inter-bucket durations of a volume clock, integer ms, i.i.d. with a known rate.

    ``durations_ms[i] = ceil(X_i)``, X_i ~ Exp(rate ``rate_per_s`` / 1000 per ms): a Geometric
    law on {1, 2, ...} with ``q = exp(-rate_per_s / 1000)``, exact mean ``1 / (1 - q)`` ms and
    variance ``q / (1 - q)**2`` ms^2 (see :attr:`mean_ms`, :attr:`var_ms2`).
    """

    durations_ms: np.ndarray
    rate_per_s: float

    @property
    def q(self) -> float:
        """P(duration > k + 1 | duration > k) = exp(-rate_per_s / 1000)."""
        return float(np.exp(-self.rate_per_s / 1000.0))

    @property
    def mean_ms(self) -> float:
        """Exact mean duration of the rounded-up law, ``1 / (1 - q)`` ms."""
        return float(1.0 / -np.expm1(-self.rate_per_s / 1000.0))

    @property
    def var_ms2(self) -> float:
        """Exact variance of the rounded-up law, ``q / (1 - q)**2`` ms^2."""
        return self.q * self.mean_ms**2


def simulate_bucket_durations(
    rng: np.random.Generator, n: int, rate_per_s: float
) -> BucketDurations:
    """n durations ``ceil(Exp(rate_per_s / 1000 per ms))`` in integer ms (never 0).

    Drawn as ``rng.geometric(1 - q)``, ``q = exp(-rate_per_s / 1000)``: the exact law of an
    exponential waiting time rounded up to the next millisecond.
    """
    p = float(-np.expm1(-rate_per_s / 1000.0))
    return BucketDurations(rng.geometric(p, size=n).astype(np.int64), float(rate_per_s))
