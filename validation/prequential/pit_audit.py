"""Prequential PIT audit: uniformity per time block and serial dependence, in time order.

Under a calibrated one-step-ahead predictive the PITs u_t are i.i.d. U(0, 1) (Rosenblatt
1952; Dawid 1984). Two families of tests share the level ``alpha`` (Bonferroni):

* per block of ``block_ms`` (default 30 min; blocks with fewer than ``min_block`` PITs are
  merged into the previous one): :func:`validation.calibration.uniformity.uniformity_test`
  (ECDF simultaneous band + chi-square) at ``alpha / 2 / n_blocks`` each;
* serial dependence: Ljung-Box (``statsmodels``) at ``lags`` on the normal scores
  z_t = Phi^-1(u_t) and on z_t^2 (volatility clustering), each at ``alpha / 4``.

Example::

    >>> import numpy as np
    >>> u = np.random.default_rng(0).random(2000)
    >>> pit_audit(np.arange(2000) * 1000, u, alpha=0.01).rejected
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox

from validation.calibration.uniformity import UniformityTest, uniformity_test

BLOCK_MS = 30 * 60 * 1000
MIN_BLOCK = 50
LAGS = 10
PIT_CLIP = 1e-12


@dataclass(frozen=True)
class PitAudit:
    """Per-block uniformity tests and Ljung-Box p-values of one PIT sequence."""

    block_starts_ms: list[int]
    blocks: list[UniformityTest]
    ljung_box_p: dict[str, float]
    alpha: float

    @property
    def block_alpha(self) -> float:
        return self.alpha / 2.0 / max(len(self.blocks), 1)

    @property
    def rejected_blocks(self) -> list[int]:
        return [i for i, b in enumerate(self.blocks) if b.rejected]

    @property
    def dependence_rejected(self) -> bool:
        return any(p < self.alpha / 4.0 for p in self.ljung_box_p.values())

    @property
    def rejected(self) -> bool:
        return bool(self.rejected_blocks) or self.dependence_rejected

    @property
    def max_excursion(self) -> float:
        """Largest ECDF-band excursion over blocks (> 1: outside its band)."""
        return max(b.band.excursion for b in self.blocks)

    def to_json(self) -> dict[str, Any]:
        """:meth:`details` plus each block's test (its ECDF curve and band); in
        ``CheckResult.details`` the object itself is stored (a typed part)."""
        return self.details() | {"block_tests": [b.to_json() for b in self.blocks]}

    def details(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "block_alpha": self.block_alpha,
            "n_blocks": len(self.blocks),
            "block_starts_ms": self.block_starts_ms,
            "block_n": [b.band.n for b in self.blocks],
            "block_excursion": [b.band.excursion for b in self.blocks],
            "block_chi2_p": [b.chi_square.p_value for b in self.blocks],
            "rejected_blocks": self.rejected_blocks,
            "max_excursion": self.max_excursion,
            "ljung_box_lags": LAGS,
            "ljung_box_p": self.ljung_box_p,
            "dependence_rejected": self.dependence_rejected,
        }


def _blocks(times_ms: np.ndarray, block_ms: int, min_block: int) -> list[np.ndarray]:
    ids = (times_ms - times_ms[0]) // block_ms
    groups: list[np.ndarray] = []
    for b in np.unique(ids):
        idx = np.flatnonzero(ids == b)
        if groups and idx.size < min_block:
            groups[-1] = np.concatenate([groups[-1], idx])
        else:
            groups.append(idx)
    if len(groups) > 1 and groups[0].size < min_block:
        groups[1] = np.concatenate([groups[0], groups[1]])
        groups.pop(0)
    return groups


def pit_audit(
    times_ms: np.ndarray,
    pit: np.ndarray,
    *,
    alpha: float = 0.001,
    block_ms: int = BLOCK_MS,
    min_block: int = MIN_BLOCK,
) -> PitAudit:
    """Audit PITs ``pit`` observed at nondecreasing ``times_ms`` (module docstring)."""
    t = np.asarray(times_ms, dtype=np.int64)
    u = np.asarray(pit, dtype=float)
    if t.shape != u.shape or u.size < max(min_block, 2 * LAGS):
        raise ValueError(f"need matching times and pits, at least {max(min_block, 2 * LAGS)}")
    if np.any(np.diff(t) < 0):
        raise ValueError("times_ms must be nondecreasing")
    groups = _blocks(t, block_ms, min_block)
    alpha_block = alpha / 2.0 / len(groups)
    tests = [uniformity_test(u[g], alpha_block) for g in groups]
    z = stats.norm.ppf(np.clip(u, PIT_CLIP, 1.0 - PIT_CLIP))
    lb = {
        name: float(acorr_ljungbox(x, lags=[LAGS], return_df=True)["lb_pvalue"].iloc[0])
        for name, x in (("normal_scores", z), ("squared_normal_scores", z**2))
    }
    return PitAudit([int(t[g[0]]) for g in groups], tests, lb, float(alpha))


def plot_block_ecdfs(audit: PitAudit, ax: Any, title: str = "") -> None:
    """ECDF(u) - u per block with each block's simultaneous band (one colour per block)."""
    for i, (start, test) in enumerate(zip(audit.block_starts_ms, audit.blocks, strict=True)):
        band = test.band
        lower, upper = band.band_minus_uniform
        (line,) = ax.plot(
            band.grid, band.ecdf_minus_uniform, lw=1, label=f"block {i} ({start // 60000} min)"
        )
        ax.fill_between(
            band.grid,
            lower,
            upper,
            color=line.get_color(),
            alpha=0.08,
        )
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xlabel("PIT u")
    ax.set_ylabel("ECDF(u) - u")
    ax.set_title(title)
