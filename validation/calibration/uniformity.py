"""Tests that values u_1..u_N in [0, 1] are a uniform sample (PIT values, fractional ranks).

Two tests, each at level alpha/2 and combined by Bonferroni, so the combined false-alarm rate
is at most about ``alpha`` (each component's level is itself approximate: the band's because it
is tuned on the binomial lattice, the chi-square's because it uses the asymptotic chi^2 law;
both are measured in tests/test_calibration_primitives.py):

1. **ECDF simultaneous band** (Saeilynoja, Buerkner and Vehtari 2022, "Graphical test for
   discrete uniformity and its applications in goodness-of-fit evaluation and multiple sample
   comparison", Statistics and Computing 32:32). The ECDF is evaluated on the interior grid
   z_j = j / K, j = 1..K-1. Under uniformity N * ECDF(z_j) ~ Binomial(N, z_j) and the counts
   between grid points are jointly multinomial; the band is the pointwise equal-tailed binomial
   interval whose pointwise level is tuned so that the *whole* ECDF stays inside with
   probability 1 - alpha/2. The band comes from ``arviz.stats.ecdf_utils.ecdf_confidence_band``
   (``method="optimized"``, the paper's exact recursion), evaluated at the exact uniform CDF
   (``cdf_at_eval_points = grid``). The verdict compares integer counts with the band's
   integer bounds.
2. **Chi-square** on B equal-width bins of [0, 1]: X^2 = sum (O_b - N/B)^2 / (N/B) against the
   chi^2_{B-1} upper alpha/2 quantile (``scipy.stats.chisquare``).

Discrete ranks: fractional ranks (r + 0.5) / (L + 1) of ranks r in 0..L are exactly uniform at
the rank boundaries m / (L + 1). Pass ``grid_size = L + 1`` and an ``n_bins`` dividing L + 1:
then every grid point and bin edge is a rank boundary and both tests are exact.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from arviz.stats.ecdf_utils import ecdf_confidence_band
from scipy import stats

DEFAULT_ALPHA = 0.01
MAX_GRID_SIZE = 100


@dataclass(frozen=True)
class EcdfBandTest:
    """ECDF of the sample against the simultaneous band at family-wise level ``1 - alpha``.

    ``excursion`` is the largest standardised deviation from the uniform CDF over the grid:
    (count - N z) / (upper_count + 1/2 - N z) above the diagonal and
    (N z - count) / (N z - lower_count + 1/2) below it. It exceeds 1 exactly when some count
    lies outside the band, so ``rejected == (excursion > 1)``.
    """

    grid: np.ndarray
    counts: np.ndarray
    lower_counts: np.ndarray
    upper_counts: np.ndarray
    n: int
    alpha: float
    excursion: float

    @property
    def rejected(self) -> bool:
        return bool(
            np.any(self.counts < self.lower_counts) or np.any(self.counts > self.upper_counts)
        )

    @property
    def ecdf_minus_uniform(self) -> np.ndarray:
        """ECDF(z) - z on the grid."""
        return self.counts / self.n - self.grid

    @property
    def band_minus_uniform(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) band minus z on the grid."""
        return self.lower_counts / self.n - self.grid, self.upper_counts / self.n - self.grid

    @property
    def family_wise_level(self) -> float:
        return 1.0 - self.alpha

    def to_json(self) -> dict[str, Any]:
        """ECDF difference curve ECDF(z) - z and its band (the report's JSON)."""
        lower, upper = self.band_minus_uniform
        return {
            "grid": self.grid.tolist(),
            "ecdf_minus_uniform": self.ecdf_minus_uniform.tolist(),
            "band_lower_minus_uniform": lower.tolist(),
            "band_upper_minus_uniform": upper.tolist(),
            "family_wise_level": self.family_wise_level,
            "excursion": self.excursion,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class ChiSquareTest:
    """Pearson chi-square of equal-width bin counts against N/B each, df = B - 1."""

    observed: np.ndarray
    statistic: float
    p_value: float
    critical_value: float
    alpha: float

    @property
    def rejected(self) -> bool:
        return self.statistic > self.critical_value

    def to_json(self) -> dict[str, Any]:
        return {
            "bin_counts": self.observed.tolist(),
            "statistic": self.statistic,
            "p_value": self.p_value,
            "critical_value": self.critical_value,
            "alpha": self.alpha,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class UniformityTest:
    """Both tests; rejected if either rejects. False-alarm rate about ``alpha`` at most
    (Bonferroni over the two).

    ``statistic`` = max(ECDF excursion, X^2 / critical value): > 1 exactly when rejected.
    """

    band: EcdfBandTest
    chi_square: ChiSquareTest
    alpha: float

    @property
    def rejected(self) -> bool:
        return self.band.rejected or self.chi_square.rejected

    @property
    def statistic(self) -> float:
        return max(self.band.excursion, self.chi_square.statistic / self.chi_square.critical_value)

    def to_json(self) -> dict[str, Any]:
        """The JSON of the test, its band under ``"ecdf_band"`` and chi-square under
        ``"chi_square"``; in ``CheckResult.details`` the object itself is stored (a typed part,
        :meth:`validation.results.CheckResult.parts`)."""
        return {
            "n": self.band.n,
            "alpha": self.alpha,
            "statistic": self.statistic,
            "rejected": self.rejected,
            "ecdf_band": self.band.to_json(),
            "chi_square": self.chi_square.to_json(),
        }


@functools.lru_cache(maxsize=64)
def ecdf_band_counts(n: int, grid_size: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer bounds (lower, upper) of N * ECDF(j / K), j = 1..K-1, at family-wise 1 - alpha.

    Cached (the band depends only on N, K and alpha); the returned arrays are read-only.
    """
    grid = np.arange(1, grid_size) / grid_size
    lower, upper = ecdf_confidence_band(n, grid, grid, prob=1.0 - alpha, method="optimized")
    lo = np.rint(np.asarray(lower) * n).astype(np.int64)
    hi = np.rint(np.asarray(upper) * n).astype(np.int64)
    lo.flags.writeable = False
    hi.flags.writeable = False
    return lo, hi


def compile_band_in_background() -> threading.Thread:
    """Start computing a small ECDF band in a daemon thread and return it.

    The first band of a process pays the just-in-time compilation of ArviZ's numba kernel
    (about 3 s; later bands of N = 1000 cost about 0.5 s); a caller with other work that
    releases the GIL meanwhile (XLA compiling and running a sampler) hides it. A later
    :func:`ecdf_band_counts` waits for the compilation if it is still running."""
    thread = threading.Thread(target=ecdf_band_counts, args=(10, 10, 0.5), daemon=True)
    thread.start()
    return thread


def _as_unit_sample(u: np.ndarray) -> np.ndarray:
    x = np.asarray(u, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"need at least 2 values, got {x.size}")
    if not np.all(np.isfinite(x)) or np.any((x < 0.0) | (x > 1.0)):
        raise ValueError("values must be finite and lie in [0, 1]")
    return x


def ecdf_band_test(u: np.ndarray, alpha: float, grid_size: int | None = None) -> EcdfBandTest:
    """ECDF band test of uniformity on the grid j / K (K = ``grid_size``, default min(N, 100))."""
    x = np.sort(_as_unit_sample(u))
    n = x.size
    k = min(n, MAX_GRID_SIZE) if grid_size is None else int(grid_size)
    if k < 2:
        raise ValueError(f"grid_size={k}: must be >= 2")
    grid = np.arange(1, k) / k
    counts = np.searchsorted(x, grid, side="right")
    lo, hi = ecdf_band_counts(n, k, float(alpha))
    expected = n * grid
    above = (counts - expected) / np.maximum(hi + 0.5 - expected, 0.5)
    below = (expected - counts) / np.maximum(expected - lo + 0.5, 0.5)
    excursion = float(np.max(np.maximum(above, below)))
    return EcdfBandTest(grid, counts, lo, hi, n, float(alpha), excursion)


def chi_square_test(u: np.ndarray, alpha: float, n_bins: int | None = None) -> ChiSquareTest:
    """Chi-square test on ``n_bins`` equal-width bins (default: N // 10 clipped to [2, 20])."""
    x = _as_unit_sample(u)
    b = int(np.clip(x.size // 10, 2, 20)) if n_bins is None else int(n_bins)
    if b < 2:
        raise ValueError(f"n_bins={b}: must be >= 2")
    observed = np.bincount(np.minimum((x * b).astype(np.int64), b - 1), minlength=b)
    res = stats.chisquare(observed)
    critical = float(stats.chi2.isf(alpha, b - 1))
    return ChiSquareTest(observed, float(res.statistic), float(res.pvalue), critical, float(alpha))


def uniformity_test(
    u: np.ndarray,
    alpha: float = DEFAULT_ALPHA,
    *,
    grid_size: int | None = None,
    n_bins: int | None = None,
) -> UniformityTest:
    """ECDF band at alpha/2 and chi-square at alpha/2; false-alarm rate at most about alpha.

    For fractional ranks pass ``grid_size = L + 1`` and ``n_bins`` dividing it (see module
    docstring).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha={alpha!r}: must lie in (0, 1)")
    if grid_size is not None and n_bins is not None and grid_size % n_bins:
        raise ValueError(f"n_bins={n_bins} must divide grid_size={grid_size}")
    band = ecdf_band_test(u, alpha / 2.0, grid_size)
    chi = chi_square_test(u, alpha / 2.0, n_bins)
    return UniformityTest(band, chi, float(alpha))
