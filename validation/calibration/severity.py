"""Severity of the statistical checks: the smallest miscalibration each detects with 80% and
99% power at the replication count it uses, measured by simulation.

A severity *target* (:class:`Target`) is one check with its distortion families
(:class:`Direction`: a name, what is distorted, and a grid of magnitudes from no distortion
outward) and a function ``detects(direction, magnitude, seed)``: whether the check's OWN
verdict rule fails one seeded run of its own scenario with the distorted output. Power at a
magnitude is the fraction of seeds that fail (:func:`power_curves`; the same seeds at every
grid point, so the curve is nearly monotone), and the smallest detected magnitude is read off
the grid by linear interpolation between the two grid points that bracket the target power
(:func:`crossing`). Every target of every module goes through these two functions.

Distortions of a Gamma posterior (shape-rate Gamma(a, b), mean m = a / b, sd = sqrt(a) / b;
:func:`distort`):

- ``"scale"`` by a factor s: same mean, sd x s: Gamma(a / s^2, b / s^2). s > 1 is an
  under-confident posterior, s < 1 an over-confident one;
- ``"shift"`` by delta posterior sds: mean m + delta sd, same sd:
  Gamma((sqrt(a) + delta)^2, b (1 + delta / sqrt(a))).

Targets here (:data:`TARGETS`; the end-to-end checks are in
:mod:`validation.endtoend.severity`, the MCMC agreement and recovery checks in
:mod:`validation.calibration.agreement_severity`, same command line):

- ``sbc.kappa_pit``, ``sbc.hierarchical_pinned_pit``: the exact posterior distorted (scale,
  both ways, and shift); verdict :func:`verdict_fails` (the rule of
  :func:`validation.calibration._sbc.exact_pit_result`), N = 2000, alpha = 0.001. The scenario
  is the check's, vectorised through the sufficient statistic: n log-uniform on 1..500,
  theta from the check's prior, S = sum d ~ Gamma(n, rate theta), exact posterior
  Gamma(a0 + n, rate + S), so a seed costs one verdict (about 5 ms) instead of 2000
  streaming updates; the distance floor of the production estimator is left out (0.03
  posterior sd at most, see :mod:`validation.calibration.sbc_exact`). Both give the posterior
  shape 5 + n with the same n law, and the PIT law of a distorted Gamma depends on the shape
  only, so they must agree within Monte Carlo error.
- ``sbc.kappa_loglik_pit``: the same distortions, plus the posterior of the latest fraction f
  of the fills (``"fraction"``: Gamma(a0 + m, b0 + S_m), m = ceil(f n), what the test
  quantities exist for; f = 1/2 is the catalogue entry ``kappa.latest_half_only``); verdict
  :func:`validation.calibration.loglik_pit.verdict` on both quantities.
- ``sbc.reference_gamma_exponential_ranks`` (N = 30) and ``..._ranks_jax`` (N = 300): the
  rank test of the MCMC rank SBC at its N and L = 99, with the exact conjugate posterior
  distorted instead of NUTS draws: L independent draws, so the rank is Binomial(L, u) with u
  the distorted PIT; verdict :func:`validation.calibration.sbc_reference.rank_verdict`. This
  measures the rank test's severity at its N and thinning (the ESS-thinned MCMC draws are
  only approximately independent), not the sampler's.
- ``sbc.hierarchical_plugin_coverage``: the production plug-in posterior Gamma(a0 + n,
  a0 / k_hat + S) (k_hat the market posterior mean) with its sd scaled by s, both regimes,
  N = 1000 each; verdict: the check's 95% central coverage count against its one-sided bounds
  (:func:`validation.calibration.sbc_plugin._one_sided_bounds`). The production plug-in
  already under-covers by 0.8 points in the small-market regime, so s < 1 is measured on top
  of it; the quadrature reference (INCONCLUSIVE gate) is left out.
- ``sbc.jump_reliability``: the Bayes classifier of its scenario with the diffusion sd scaled
  by a factor f (pi and sigma_j true), the check itself on every seed (about 0.5 s each).

The shipped table :data:`TABLE_PATH` (JSON) holds the measured rows with the command and the
seeds that produced each; the audit report prints them (:func:`load_table`) instead of
recomputing them. Run (``--check`` repeatable; ``--write`` merges the rows into the table)::

    python -m validation.calibration.severity --seeds 200 --write
    python -m validation.calibration.severity --check sbc.jump_reliability --seeds 20 --write

Example (the crossing of a power curve; the distortions)::

    >>> crossing((1.0, 1.1, 1.2), (0.0, 0.5, 1.0), 0.8)
    1.16
    >>> [round(float(x), 6) for x in distort(np.array(25.0), np.array(0.01), "shift", 1.0)]
    [36.0, 0.012]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from online.gamma_posterior import GammaPosterior
from validation.agreement.jumps import bayes_jump_probability
from validation.calibration import loglik_pit as lp
from validation.calibration import sbc_jumps as sj
from validation.calibration.coverage import KINDS, LEVELS, binomial_band, pit_coverage
from validation.calibration.sbc_exact import (
    HIERARCHICAL_PINNED_PIT,
    KAPPA_PIT,
    ExactSbcSettings,
)
from validation.calibration.sbc_mixture import NAME as MIXTURE_RANKS
from validation.calibration.sbc_mixture import MixtureRankSettings
from validation.calibration.sbc_plugin import (
    HIERARCHICAL_PLUGIN_COVERAGE,
    VERDICT_LEVEL,
    PluginSbcSettings,
    _one_sided_bounds,
)
from validation.calibration.sbc_reference import (
    REFERENCE_GAMMA_EXPONENTIAL_RANKS,
    RankSbcSettings,
    rank_verdict,
)
from validation.calibration.sbc_store import ReplicationResult
from validation.calibration.sbc_vectorised import VECTORISED_RANKS, VECTORISED_SETTINGS
from validation.calibration.uniformity import uniformity_test
from validation.families import Candidate, JumpFit

DISTORTIONS = ("scale", "shift")
POWERS = (0.8, 0.99)
SEED0 = 30_000
TABLE_PATH = Path(__file__).with_name("severity_table.json")
"""The shipped table of measured severities (written by ``--write``)."""


@dataclass(frozen=True)
class Direction:
    """One distortion family of a target: ``grid`` runs from no distortion outward."""

    name: str
    distortion: str
    grid: tuple[float, ...]


@dataclass(frozen=True)
class Target:
    """A check whose severity is measured: its directions, ``detects(direction name,
    magnitude, seed)`` and what one seed simulates (``setting``)."""

    check: str
    setting: str
    directions: tuple[Direction, ...]
    detects: Callable[[str, float, int], bool]


@dataclass(frozen=True)
class SeverityRow:
    """Measured power curve of one check in one direction and its crossings of ``POWERS``
    (NaN: not reached on the grid), over seeds seed0 .. seed0 + n_seeds - 1; ``command`` and
    ``measured`` (ISO date) are set when the row is stored."""

    check: str
    direction: str
    distortion: str
    setting: str
    grid: tuple[float, ...]
    powers: tuple[float, ...]
    detected: dict[float, float]
    n_seeds: int
    seed0: int
    command: str = ""
    measured: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["detected"] = {
            f"{p:g}": (None if math.isnan(m) else m) for p, m in self.detected.items()
        }
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeverityRow:
        return cls(
            **{
                **data,
                "grid": tuple(data["grid"]),
                "powers": tuple(data["powers"]),
                "detected": {
                    float(p): (math.nan if m is None else float(m))
                    for p, m in data["detected"].items()
                },
            }
        )


def distort(a: np.ndarray, b: np.ndarray, kind: str, magnitude: float) -> tuple[np.ndarray, ...]:
    """(shape, rate) of the miscalibrated version of Gamma(a, b) (module docstring).

    Raises:
        ValueError: unknown ``kind``, a scale factor <= 0, or a shift that leaves the mean <= 0.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if kind == "scale":
        if not magnitude > 0.0:
            raise ValueError(f"magnitude={magnitude!r}: a scale factor must be > 0")
        return a / magnitude**2, b / magnitude**2
    if kind == "shift":
        root = np.sqrt(a) + magnitude
        if np.any(root <= 0.0):
            raise ValueError(f"magnitude={magnitude!r}: shifts the posterior mean to <= 0")
        return root**2, b * root / np.sqrt(a)
    raise ValueError(f"kind={kind!r}: must be one of {DISTORTIONS}")


def distortion_kind(direction: str) -> str:
    """``"shift"`` for the shift direction, ``"scale"`` for ``"scale > 1"`` / ``"scale < 1"``."""
    return "shift" if direction == "shift" else "scale"


def distorted_candidate(candidate: Candidate, kind: str, magnitude: float) -> Candidate:
    """A candidate returning ``distort`` of ``candidate``'s Gamma posterior (same signature)."""

    def wrapped(*args: object) -> GammaPosterior:
        post = candidate(*args)
        a, b = distort(np.array(post.alpha), np.array(post.beta), kind, magnitude)
        return GammaPosterior(float(a), float(b))

    return wrapped


def array_key(*args: object) -> bytes:
    """Content hash of call arguments: arrays by dtype, shape and bytes, anything else by repr.

    >>> array_key(np.arange(3), 2.0) == array_key(np.arange(3), 2.0) != array_key(np.arange(3))
    True
    """
    h = hashlib.sha256()
    for a in args:
        if isinstance(a, np.ndarray):
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(np.ascontiguousarray(a).tobytes())
        else:
            h.update(repr(a).encode())
        h.update(b"|")
    return h.digest()


class OutputCache:
    """A candidate's undistorted output memoised for one seed: ``run(seed, *args)`` calls
    ``candidate(*args)`` once per distinct ``key(*args)`` and seed, so a target distorts the
    same output at every grid magnitude (common seeds); a new seed drops the old outputs."""

    def __init__(
        self, candidate: Callable[..., Any], key: Callable[..., bytes] = array_key
    ) -> None:
        self.candidate, self.key = candidate, key
        self.seed: int | None = None
        self.outputs: dict[bytes, Any] = {}

    def run(self, seed: int, *args: Any) -> Any:
        if seed != self.seed:
            self.seed, self.outputs = seed, {}
        k = self.key(*args)
        if k not in self.outputs:
            self.outputs[k] = self.candidate(*args)
        return self.outputs[k]


def crossing(grid: Sequence[float], powers: Sequence[float], target: float) -> float:
    """Magnitude at which the power first reaches ``target``, linear between grid points;
    NaN when no grid point reaches it."""
    for i in range(1, len(grid)):
        if powers[i] >= target:
            lo, hi = powers[i - 1], powers[i]
            if lo >= target:
                return float(grid[i - 1])
            return round(
                float(grid[i - 1] + (target - lo) / (hi - lo) * (grid[i] - grid[i - 1])), 12
            )
    return math.nan


def power_curves(target: Target, n_seeds: int, seed0: int = SEED0) -> list[SeverityRow]:
    """Power of ``target`` on each direction's grid over seeds seed0 .. seed0 + n_seeds - 1
    (seed outermost, so a target may reuse one seed's undistorted run at every direction and
    magnitude), and the crossings of ``POWERS``: one row per direction."""
    if n_seeds < 1:
        raise ValueError(f"n_seeds={n_seeds!r}: must be >= 1")
    hits = [np.zeros(len(d.grid)) for d in target.directions]
    for seed in range(seed0, seed0 + n_seeds):
        for d, h in zip(target.directions, hits, strict=True):
            for i, m in enumerate(d.grid):
                h[i] += target.detects(d.name, m, seed)
    rows = []
    for d, h in zip(target.directions, hits, strict=True):
        powers = tuple(float(x / n_seeds) for x in h)
        detected = {p: crossing(d.grid, powers, p) for p in POWERS}
        rows.append(
            SeverityRow(
                target.check,
                d.name,
                d.distortion,
                target.setting,
                d.grid,
                powers,
                detected,
                n_seeds,
                seed0,
            )
        )
    return rows


# ----------------------------------------------------------------- exact-PIT SBC scenarios
SD_SCALE_UP = Direction(
    "scale > 1",
    "posterior sd x s, mean kept",
    (1.0, 1.02, 1.04, 1.06, 1.08, 1.10, 1.12, 1.15, 1.20, 1.25),
)
SD_SCALE_DOWN = Direction(
    "scale < 1",
    "posterior sd x s, mean kept",
    (1.0, 0.98, 0.96, 0.94, 0.92, 0.90, 0.88, 0.85, 0.80, 0.75),
)
MEAN_SHIFT = Direction(
    "shift",
    "posterior mean + delta posterior sd, sd kept",
    (0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.15, 0.20, 0.25),
)
GAMMA_DIRECTIONS = (SD_SCALE_UP, SD_SCALE_DOWN, MEAN_SHIFT)


def _sizes(rng: np.random.Generator, s: ExactSbcSettings) -> np.ndarray:
    """Vectorised :func:`validation.calibration._sbc.log_uniform_int`."""
    x = np.floor(np.exp(rng.uniform(math.log(s.n_min), math.log(s.n_max + 1), s.n_replications)))
    return np.clip(x, s.n_min, s.n_max)


def _kappa_scenario(rng: np.random.Generator, s: ExactSbcSettings) -> tuple[np.ndarray, ...]:
    n = _sizes(rng, s)
    theta = rng.gamma(s.prior.alpha, 1.0 / s.prior.beta, s.n_replications)
    total = rng.gamma(n, 1.0 / theta)
    return theta, s.prior.alpha + n, s.prior.beta + total


def _hierarchical_scenario(rng: np.random.Generator, s: ExactSbcSettings) -> tuple[np.ndarray, ...]:
    n = _sizes(rng, s)
    market = rng.gamma(s.prior.alpha, 1.0 / s.prior.beta, s.n_replications)
    theta = rng.gamma(s.a0, market / s.a0)
    total = rng.gamma(n, 1.0 / theta)
    return theta, s.a0 + n, s.a0 / market + total


Scenario = Callable[[np.random.Generator, ExactSbcSettings], tuple[np.ndarray, ...]]
SCENARIOS: dict[str, Scenario] = {
    KAPPA_PIT: _kappa_scenario,
    HIERARCHICAL_PINNED_PIT: _hierarchical_scenario,
}


@functools.lru_cache(maxsize=8)
def _bands(n: int, alpha: float) -> dict[tuple[str, float], tuple[int, int]]:
    rows = len(KINDS) * len(LEVELS)
    return {(k, c): binomial_band(n, c, alpha / 2.0 / rows) for k in KINDS for c in LEVELS}


def verdict_fails(u: np.ndarray, alpha: float) -> bool:
    """The FAIL rule of :func:`validation.calibration._sbc.exact_pit_result` for PIT values u
    (uniformity at alpha / 2, each of the nine coverage rows at alpha / 18), without the
    Clopper-Pearson intervals it also reports (they dominate its cost and do not enter the
    verdict); ``tests/test_calibration_severity.py`` checks that the two always agree."""
    if uniformity_test(u, alpha / 2.0).rejected:
        return True
    bands = _bands(int(u.size), float(alpha))
    for kind, ind in pit_coverage(u).items():
        for i, c in enumerate(LEVELS):
            lo, hi = bands[(kind, c)]
            if not lo <= int(np.count_nonzero(ind[i])) <= hi:
                return True
    return False


def distorted_pit(check: str, kind: str, magnitude: float, seed: int) -> np.ndarray:
    """PIT values of one seeded run of ``check`` with posteriors distorted by (kind,
    magnitude)."""
    theta, a, b = SCENARIOS[check](np.random.default_rng(seed), ExactSbcSettings())
    shape, rate = distort(a, b, kind, magnitude)
    return stats.gamma.cdf(theta, shape, scale=1.0 / rate)


def _exact_pit_detects(check: str) -> Callable[[str, float, int], bool]:
    def detects(direction: str, magnitude: float, seed: int) -> bool:
        u = distorted_pit(check, distortion_kind(direction), magnitude, seed)
        return verdict_fails(u, ExactSbcSettings().alpha)

    return detects


# ------------------------------------------------------------------ sbc.kappa_loglik_pit
FRACTION = Direction(
    "fraction",
    "posterior of the latest fraction f of the fills only",
    (1.0, 0.98, 0.96, 0.94, 0.92, 0.90, 0.88, 0.85, 0.80, 0.75),
)
LOGLIK_SHIFT = Direction(
    "shift",
    MEAN_SHIFT.distortion,
    (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50, 0.60),
)


def loglik_quantities(direction: str, magnitude: float, seed: int) -> dict[str, np.ndarray]:
    """The two ranked quantities u_g of ``sbc.kappa_loglik_pit`` for one seeded run of its
    scenario (vectorised) with the distorted posterior of ``direction``."""
    s = ExactSbcSettings()
    rng = np.random.default_rng(seed)
    n = _sizes(rng, s)
    theta = rng.gamma(s.prior.alpha, 1.0 / s.prior.beta, s.n_replications)
    f = magnitude if direction == "fraction" else 1.0
    used = np.maximum(1.0, np.ceil(f * n - 1e-9))
    used_total = rng.gamma(used, 1.0 / theta)
    rest = n - used
    total = used_total + np.where(rest > 0, rng.gamma(np.maximum(rest, 1.0), 1.0 / theta), 0.0)
    a, b = s.prior.alpha + used, s.prior.beta + used_total
    if direction != "fraction":
        a, b = distort(a, b, distortion_kind(direction), magnitude)
    out = {}
    for q, coefficients in lp.QUANTITIES.items():
        lo, hi = lp.level_set_interval(theta, *coefficients(n, total, s.prior))
        out[q] = stats.gamma.cdf(lo, a, scale=1.0 / b) + stats.gamma.sf(hi, a, scale=1.0 / b)
    return out


def _loglik_detects(direction: str, magnitude: float, seed: int) -> bool:
    return lp.verdict(loglik_quantities(direction, magnitude, seed), ExactSbcSettings().alpha)[0]


# ------------------------------------------------------------------- MCMC rank SBC (ranks)
RANK_SCALE_UP = Direction(
    "scale > 1", SD_SCALE_UP.distortion, (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0)
)
RANK_SCALE_DOWN = Direction(
    "scale < 1", SD_SCALE_DOWN.distortion, (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)
)
RANK_SHIFT = Direction(
    "shift", MEAN_SHIFT.distortion, (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
)
"""Grids for the serial rank SBC (N = 30)."""
RANK100_SCALE_UP = Direction(
    "scale > 1", SD_SCALE_UP.distortion, (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2.0, 2.5, 3.0)
)
RANK100_SCALE_DOWN = Direction(
    "scale < 1", SD_SCALE_DOWN.distortion, (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)
)
RANK100_SHIFT = Direction(
    "shift", MEAN_SHIFT.distortion, (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5)
)
"""Grids for the mixture's rank test (N = 100, per-quantity level alpha / 4)."""
RANK300_SCALE_UP = Direction(
    "scale > 1", SD_SCALE_UP.distortion, (1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.4, 1.5, 1.75)
)
RANK300_SCALE_DOWN = Direction(
    "scale < 1", SD_SCALE_DOWN.distortion, (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5)
)
RANK300_SHIFT = Direction(
    "shift", MEAN_SHIFT.distortion, (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75)
)
"""Grids for the vectorised rank SBC (N = 300)."""


def _rank_detects(n_replications: int, alpha: float = 0.001) -> Callable[[str, float, int], bool]:
    """The rank test at N = ``n_replications``, L = 99, on kappa and the log-likelihood at
    ``alpha`` / 2 each (the mixture's per-quantity level alpha / 4 is ``alpha`` = 0.0005)."""
    settings = RankSbcSettings(n_replications=n_replications, alpha=alpha)
    exact = ExactSbcSettings(n_replications=n_replications)

    def detects(direction: str, magnitude: float, seed: int) -> bool:
        rng = np.random.default_rng(seed)
        theta, a, b = _kappa_scenario(rng, exact)
        shape, rate = distort(a, b, distortion_kind(direction), magnitude)
        n = (a - exact.prior.alpha).astype(int)
        total = b - exact.prior.beta
        draws = rng.gamma(
            shape[:, None], 1.0 / rate[:, None], (theta.size, settings.n_ranked_draws)
        )
        results = [
            ReplicationResult(
                k,
                settings.n_ranked_draws,
                True,
                (),
                0.0,
                int(n[k]),
                0.0,
                0.0,
                {"kappa": float(theta[k])},
                # the log-likelihood quantity needs only (n, S): n equal distances summing to S
                {"distances": (float(total[k] / n[k]),) * int(n[k])},
                {"kappa": tuple(map(float, draws[k]))},
            )
            for k in range(theta.size)
        ]
        return rank_verdict(results, settings, seed, 0.0).failed

    return detects


# --------------------------------------------------------- sbc.hierarchical_plugin_coverage
PLUGIN_SCALE_DOWN = Direction(
    "scale < 1", SD_SCALE_DOWN.distortion, (1.0, 0.98, 0.96, 0.94, 0.92, 0.90, 0.88, 0.85, 0.80)
)
PLUGIN_SCALE_UP = Direction(
    "scale > 1", SD_SCALE_UP.distortion, (1.0, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30, 1.40, 1.50)
)


def plugin_covered(magnitude: float, seed: int) -> list[int]:
    """Per regime of ``sbc.hierarchical_plugin_coverage``, how many of its replications'
    95% central intervals of the production plug-in posterior with sd x ``magnitude`` cover
    the true kappa_own (the check's scenario, vectorised)."""
    s = PluginSbcSettings()
    rng = np.random.default_rng(seed)
    exact = ExactSbcSettings(n_replications=s.n_replications, n_min=s.n_own_min, n_max=s.n_own_max)
    tail = (1.0 - VERDICT_LEVEL) / 2.0
    covered = []
    for regime in s.regimes:
        n = _sizes(rng, exact)
        m = rng.integers(regime.n_min, regime.n_max + 1, s.n_replications)
        market = rng.gamma(s.hyperprior.alpha, 1.0 / s.hyperprior.beta, s.n_replications)
        k_hat = (s.hyperprior.alpha + m) / (s.hyperprior.beta + rng.gamma(m, 1.0 / market))
        theta = rng.gamma(s.a0, market / s.a0)
        total = rng.gamma(n, 1.0 / theta)
        shape, rate = distort(s.a0 + n, s.a0 / k_hat + total, "scale", magnitude)
        u = stats.gamma.cdf(theta, shape, scale=1.0 / rate)
        covered.append(int(np.count_nonzero((u >= tail) & (u <= 1.0 - tail))))
    return covered


def _plugin_detects(direction: str, magnitude: float, seed: int) -> bool:
    s = PluginSbcSettings()
    lo, hi = _one_sided_bounds(s.n_replications, s.budget, s.alpha / (2 * len(s.regimes)))
    return any(not lo <= x <= hi for x in plugin_covered(magnitude, seed))


# ---------------------------------------------------------------------- sbc.jump_reliability
JUMP_SIGMA_UP = Direction(
    "sigma_d > 1",
    "diffusion sd x f in the Bayes P(jump)",
    (1.0, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30, 1.40),
)
JUMP_SIGMA_DOWN = Direction(
    "sigma_d < 1", JUMP_SIGMA_UP.distortion, (1.0, 0.95, 0.90, 0.85, 0.80, 0.75, 0.70, 0.60)
)


def scaled_sigma_d_classifier(factor: float) -> Candidate:
    """The Bayes classifier of ``sbc.jump_reliability``'s scenario with sigma_d x ``factor``
    (pi and sigma_j true): calibrated at factor 1, a Bayes probability of the wrong mixture
    otherwise."""

    def classifier(returns: np.ndarray) -> JumpFit:
        sigma_d = factor * sj.SIGMA_D
        p = np.asarray(bayes_jump_probability(returns, sj.PI, sigma_d, sj.SIGMA_J), dtype=float)
        return JumpFit(p, sj.PI, sigma_d, sj.SIGMA_J)

    return classifier


def _jump_detects(direction: str, magnitude: float, seed: int) -> bool:
    return sj.run_jump_reliability(scaled_sigma_d_classifier(magnitude), seed).failed


def _targets() -> dict[str, Target]:
    exact = "N = 2000 replications, alpha 0.001, vectorised scenario"
    rank = "N = {n}, L = 99 independent exact draws, alpha 0.001"
    targets = [
        Target(KAPPA_PIT, exact, GAMMA_DIRECTIONS, _exact_pit_detects(KAPPA_PIT)),
        Target(
            HIERARCHICAL_PINNED_PIT,
            exact,
            GAMMA_DIRECTIONS,
            _exact_pit_detects(HIERARCHICAL_PINNED_PIT),
        ),
        Target(
            lp.NAME,
            exact + ", both quantities at alpha / 2",
            (FRACTION, SD_SCALE_UP, SD_SCALE_DOWN, LOGLIK_SHIFT),
            _loglik_detects,
        ),
        Target(
            REFERENCE_GAMMA_EXPONENTIAL_RANKS,
            rank.format(n=30),
            (RANK_SCALE_UP, RANK_SCALE_DOWN, RANK_SHIFT),
            _rank_detects(30),
        ),
        Target(
            VECTORISED_RANKS,
            rank.format(n=VECTORISED_SETTINGS.n_replications),
            (RANK300_SCALE_UP, RANK300_SCALE_DOWN, RANK300_SHIFT),
            _rank_detects(VECTORISED_SETTINGS.n_replications),
        ),
        Target(
            MIXTURE_RANKS,
            "the rank test at the mixture check's N = 100, L = 99 and per-quantity level "
            "0.001 / 4, on L independent exact draws of one distorted Gamma posterior (kappa "
            "and the log-likelihood at 0.0005 / 2 each): the rank test's severity, not the "
            "sampler's",
            (RANK100_SCALE_UP, RANK100_SCALE_DOWN, RANK100_SHIFT),
            _rank_detects(MixtureRankSettings().n_replications, MixtureRankSettings().alpha / 2),
        ),
        Target(
            HIERARCHICAL_PLUGIN_COVERAGE,
            "2 regimes x 1000 replications, alpha 0.001, the production plug-in posterior "
            "distorted, vectorised",
            (PLUGIN_SCALE_DOWN, PLUGIN_SCALE_UP),
            _plugin_detects,
        ),
        Target(
            sj.NAME,
            "the check itself: 4000 returns, 999 resamples, alpha 0.001",
            (JUMP_SIGMA_UP, JUMP_SIGMA_DOWN),
            _jump_detects,
        ),
    ]
    return {t.check: t for t in targets}


TARGETS: dict[str, Target] = _targets()
"""The severity targets of the calibration checks, by check name."""
SLOW = frozenset({sj.NAME})
"""Targets left out unless named with ``--check`` (they run the check itself per seed)."""


def table(rows: Sequence[SeverityRow]) -> str:
    """Plain-text table: one line per (check, direction) with the 80% / 99% magnitudes."""
    head = f"{'check':42} {'direction':12} {'80% power':>10} {'99% power':>10}  power on grid"
    lines = [head, "-" * len(head)]
    for r in rows:
        curve = " ".join(f"{m:g}:{p:.2f}" for m, p in zip(r.grid, r.powers, strict=True))
        lines.append(
            f"{r.check:42} {r.direction:12} {r.detected[0.8]:10.3f} {r.detected[0.99]:10.3f}"
            f"  {curve}"
        )
    return "\n".join(lines)


def load_table(path: Path = TABLE_PATH) -> dict[str, list[SeverityRow]]:
    """The stored severity rows by check ({} when the file does not exist)."""
    if not path.exists():
        return {}
    out: dict[str, list[SeverityRow]] = {}
    for row in json.loads(path.read_text())["rows"]:
        r = SeverityRow.from_json(row)
        out.setdefault(r.check, []).append(r)
    return out


def write_table(rows: Sequence[SeverityRow], command: str, path: Path = TABLE_PATH) -> None:
    """Merge ``rows`` into the table at ``path``: the rows of their checks are replaced, the
    others kept; each row records the command that measured it."""
    old = json.loads(path.read_text())["rows"] if path.exists() else []
    new_checks = {r.check for r in rows}
    when = dt.date.today().isoformat()
    kept = [r for r in old if r["check"] not in new_checks]
    fresh = [dataclasses.replace(r, command=command, measured=when).to_json() for r in rows]
    doc = {
        "description": "Smallest miscalibration each check detects with 80% / 99% power "
        "(validation.calibration.severity); powers are FAIL fractions over n_seeds seeds "
        "from seed0 at each grid magnitude",
        "rows": sorted(kept + fresh, key=lambda r: (r["check"], r["direction"])),
    }
    path.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")


def main(
    argv: list[str] | None = None,
    targets: Mapping[str, Target] | None = None,
    prog: str = "validation.calibration.severity",
) -> list[SeverityRow]:
    """Command line (module docstring): measure the chosen targets, print, optionally write."""
    targets = dict(targets if targets is not None else TARGETS)
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="seeds per grid point")
    parser.add_argument("--seed0", type=int, default=SEED0, help="first seed")
    parser.add_argument(
        "--check",
        action="append",
        choices=sorted(targets),
        help="a check to measure (repeatable; default: all but " + ", ".join(sorted(SLOW)) + ")",
    )
    parser.add_argument(
        "--write",
        nargs="?",
        const=TABLE_PATH,
        type=Path,
        help=f"merge the rows into this table (default {TABLE_PATH.name} in the package)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: must be >= 1")
    checks = args.check or [c for c in targets if c not in SLOW]
    rows = [r for c in checks for r in power_curves(targets[c], args.seeds, args.seed0)]
    print(f"seeds per grid point: {args.seeds} (from {args.seed0})")
    print(table(rows))
    if args.write is not None:
        used = [*(f"--check {c}" for c in checks), f"--seeds {args.seeds}"]
        if args.seed0 != SEED0:
            used.append(f"--seed0 {args.seed0}")
        command = f"python -m {prog} " + " ".join(used)
        write_table(rows, command, args.write)
    return rows


if __name__ == "__main__":
    main()
