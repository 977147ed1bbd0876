"""Check MCMC draws of a scalar against an exactly known distribution.

Two criteria, both needed to pass:

1. Monte Carlo error: for the mean, the sd and the quantiles q (default 2.5%, 50%, 97.5%),
   |MCMC estimate - exact value| <= n_mcse * MCSE, with MCSE from ``az.mcse`` (methods "mean",
   "sd", "quantile" with ``prob=q``). With n_mcse = 4 and a correct sampler a single statistic
   fails with probability about 6e-5 (normal approximation).
2. Shape: a Kolmogorov-Smirnov test (``scipy.stats.kstest``) of the pooled draws, thinned per
   chain by ceil(total draws / bulk ESS) so that they are roughly independent, against the
   exact CDF; fails when p < ks_alpha (default 1e-3).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import arviz as az
import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ExactComparison:
    """z[stat] = (MCMC estimate - exact) / MCSE per statistic; KS p-value of the thinned draws."""

    z: dict[str, float]
    ks_pvalue: float
    n_thinned: int
    n_mcse: float
    ks_alpha: float

    @property
    def failures(self) -> list[str]:
        out = [
            f"{k}: z={v:+.2f} beyond {self.n_mcse} MCSE"
            for k, v in self.z.items()
            if not abs(v) <= self.n_mcse
        ]
        if not self.ks_pvalue >= self.ks_alpha:
            out.append(f"KS p={self.ks_pvalue:.3g} < {self.ks_alpha} (n={self.n_thinned})")
        return out

    @property
    def passed(self) -> bool:
        return not self.failures


def compare_with_exact(
    draws: np.ndarray,
    exact: stats.rv_continuous,
    *,
    n_mcse: float = 4.0,
    quantiles: Sequence[float] = (0.025, 0.5, 0.975),
    ks_alpha: float = 1e-3,
) -> ExactComparison:
    """Compare ``draws`` (shape (chain, draw)) with the frozen scipy distribution ``exact``."""
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 4:
        raise ValueError(f"draws must have shape (chain, draw>=4), got {x.shape}")
    z = {
        "mean": (x.mean() - exact.mean()) / mcse(x, "mean"),
        "sd": (x.std(ddof=1) - exact.std()) / mcse(x, "sd"),
    }
    for q in quantiles:
        z[f"q{q:g}"] = (np.quantile(x, q) - exact.ppf(q)) / mcse(x, "quantile", prob=q)
    ess = float(az.ess(az.convert_to_dataset(x), method="bulk")["x"])
    step = max(1, math.ceil(x.size / ess))
    thinned = x[:, ::step].ravel()
    ks = stats.kstest(thinned, exact.cdf)
    return ExactComparison(
        z={k: float(v) for k, v in z.items()},
        ks_pvalue=float(ks.pvalue),
        n_thinned=int(thinned.size),
        n_mcse=float(n_mcse),
        ks_alpha=float(ks_alpha),
    )


def mcse(draws: np.ndarray, method: str, prob: float | None = None) -> float:
    """``az.mcse`` of scalar draws with shape (chain, draw); method "mean", "sd" or "quantile"."""
    ds = az.convert_to_dataset(np.asarray(draws, dtype=np.float64))  # variable "x"
    kwargs = {} if prob is None else {"prob": prob}
    with _arviz_numpy_path():
        return float(az.mcse(ds, method=method, **kwargs)["x"])


@contextlib.contextmanager
def _arviz_numpy_path() -> Iterator[None]:
    """Run ArviZ statistics on its NumPy path, restoring the Numba setting afterwards.

    With Numba installed, ArviZ 0.23's ``az.mcse(method="sd")`` calls ``float()`` on a
    one-element array, which NumPy >= 2.4 rejects (TypeError); the NumPy path computes the
    same quantity.
    """
    was_enabled = az.Numba.numba_flag
    az.Numba.disable_numba()
    try:
        yield
    finally:
        if was_enabled:
            az.Numba.enable_numba()
