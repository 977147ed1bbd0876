"""Severity of the exact-PIT SBC checks: the smallest miscalibration each detects with 80% and
99% power at the replication count it uses, measured by simulation.

Miscalibrated posteriors (the exact posterior is Gamma(a, b), shape-rate, mean m = a / b, sd
= sqrt(a) / b; :func:`distort` maps it to another Gamma):

- ``"scale"`` by a factor s: same mean, sd x s: Gamma(a / s^2, b / s^2). s > 1 is an
  under-confident posterior, s < 1 an over-confident one;
- ``"shift"`` by delta posterior sds: mean m + delta sd, same sd:
  Gamma((sqrt(a) + delta)^2, b (1 + delta / sqrt(a))).

Power at one magnitude is the fraction of seeds on which the check's OWN verdict (the rule of
:func:`validation.calibration._sbc.exact_pit_result`: ECDF band + chi-square + the nine
coverage rows, alpha = 0.001, N = 2000; :func:`verdict_fails`) fails. The scenario is the
check's, vectorised through the sufficient statistic: n log-uniform on 1..500, theta from
the check's prior, S = sum d ~ Gamma(n, rate theta), exact posterior Gamma(a0 + n, rate + S),
so a seed costs one verdict (about 5 ms) instead of 2000 streaming updates; the distance
floor of the production estimator is left out (0.03 posterior sd at most, see
:mod:`validation.calibration.sbc_exact`).
``tests/test_calibration_severity.py`` checks the vectorised scenario against the real check
run on a distorted production candidate.

The smallest detected magnitude is read off a grid of magnitudes by linear interpolation of
the measured power between the two grid points that bracket the target (common seeds at every
grid point, so the power curve is nearly monotone). Both checks give the same posterior shape
a = 5 + n (prior shape 5 and a0 = 5), and the PIT law of a distorted Gamma depends on the
shape only, so they must agree within Monte Carlo error: the table shows that they do.

``sbc.jump_reliability`` (``--jump-seeds``): the Bayes classifier of its scenario with the
diffusion sd scaled by a factor f (pi and sigma_j true), its own test on every seed (about
0.5 s each).

Run (about 4 minutes on 2 cores; ``--seeds`` per grid point; ``--jump-seeds 100`` adds about
15 minutes)::

    python -m validation.calibration.severity --seeds 200 --jump-seeds 100
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from online.gamma_posterior import GammaPosterior
from validation.calibration.coverage import KINDS, LEVELS, binomial_band, pit_coverage
from validation.calibration.sbc_exact import (
    HIERARCHICAL_PINNED_PIT,
    KAPPA_PIT,
    ExactSbcSettings,
)
from validation.calibration.uniformity import uniformity_test
from validation.families import Candidate

DISTORTIONS = ("scale", "shift")
GRIDS: dict[str, tuple[float, ...]] = {
    "scale > 1": (1.0, 1.02, 1.04, 1.06, 1.08, 1.10, 1.12, 1.15, 1.20, 1.25),
    "scale < 1": (1.0, 0.98, 0.96, 0.94, 0.92, 0.90, 0.88, 0.85, 0.80, 0.75),
    "shift": (0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.15, 0.20, 0.25),
}
"""Magnitudes per direction, from no miscalibration outward."""
POWERS = (0.8, 0.99)
SEED0 = 30_000


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


def distorted_candidate(candidate: Candidate, kind: str, magnitude: float) -> Candidate:
    """A candidate returning ``distort`` of ``candidate``'s Gamma posterior (same signature)."""

    def wrapped(*args: object) -> GammaPosterior:
        post = candidate(*args)
        a, b = distort(np.array(post.alpha), np.array(post.beta), kind, magnitude)
        return GammaPosterior(float(a), float(b))

    return wrapped


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


def detects(check: str, kind: str, magnitude: float, seed: int) -> bool:
    """Whether ``check``'s verdict fails one seeded run with distorted posteriors."""
    return verdict_fails(distorted_pit(check, kind, magnitude, seed), ExactSbcSettings().alpha)


def power(check: str, kind: str, magnitude: float, seeds: Sequence[int]) -> float:
    """Fraction of ``seeds`` on which :func:`detects` is True."""
    return float(np.mean([detects(check, kind, magnitude, k) for k in seeds]))


def crossing(grid: Sequence[float], powers: Sequence[float], target: float) -> float:
    """Magnitude at which the power first reaches ``target``, linear between grid points;
    NaN when no grid point reaches it."""
    for i in range(1, len(grid)):
        if powers[i] >= target:
            lo, hi = powers[i - 1], powers[i]
            if lo >= target:
                return float(grid[i - 1])
            return float(grid[i - 1] + (target - lo) / (hi - lo) * (grid[i] - grid[i - 1]))
    return math.nan


@dataclass(frozen=True)
class SeverityRow:
    """Measured power curve of one check in one direction and its crossings of ``POWERS``."""

    check: str
    direction: str
    grid: tuple[float, ...]
    powers: tuple[float, ...]
    detected: dict[float, float]


def severity(check: str, direction: str, n_seeds: int, seed0: int = SEED0) -> SeverityRow:
    """Power on ``GRIDS[direction]`` over seeds seed0 .. seed0 + n_seeds - 1, and crossings."""
    kind = "shift" if direction == "shift" else "scale"
    grid = GRIDS[direction]
    seeds = range(seed0, seed0 + n_seeds)
    powers = tuple(power(check, kind, m, seeds) for m in grid)
    return SeverityRow(
        check, direction, grid, powers, {t: crossing(grid, powers, t) for t in POWERS}
    )


def table(rows: Sequence[SeverityRow]) -> str:
    """Plain-text table: one line per (check, direction) with the 80% / 99% magnitudes."""
    head = f"{'check':30} {'direction':10} {'80% power':>10} {'99% power':>10}  power on grid"
    lines = [head, "-" * len(head)]
    for r in rows:
        curve = " ".join(f"{m:g}:{p:.2f}" for m, p in zip(r.grid, r.powers, strict=True))
        lines.append(
            f"{r.check:30} {r.direction:10} {r.detected[0.8]:10.3f} {r.detected[0.99]:10.3f}"
            f"  {curve}"
        )
    return "\n".join(lines)


JUMP_GRIDS: dict[str, tuple[float, ...]] = {
    "sigma_d > 1": (1.0, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30, 1.40),
    "sigma_d < 1": (1.0, 0.95, 0.90, 0.85, 0.80, 0.75, 0.70, 0.60),
}
"""Factors f of the diffusion sd for ``sbc.jump_reliability``."""


def scaled_sigma_d_classifier(factor: float) -> Candidate:
    """The Bayes classifier of ``sbc.jump_reliability``'s scenario with sigma_d x ``factor``
    (pi and sigma_j true): calibrated at factor 1, a Bayes probability of the wrong mixture
    otherwise."""
    from validation.agreement.jumps import bayes_jump_probability
    from validation.calibration import sbc_jumps as sj
    from validation.families import JumpFit

    def classifier(returns: np.ndarray) -> JumpFit:
        sigma_d = factor * sj.SIGMA_D
        p = np.asarray(bayes_jump_probability(returns, sj.PI, sigma_d, sj.SIGMA_J), dtype=float)
        return JumpFit(p, sj.PI, sigma_d, sj.SIGMA_J)

    return classifier


def jump_severity(direction: str, n_seeds: int, seed0: int = SEED0) -> SeverityRow:
    """Power of ``sbc.jump_reliability`` itself (4000 returns, alpha 0.001, 999 resamples)
    against the sigma_d factors of ``JUMP_GRIDS[direction]``, and the crossings."""
    from validation.calibration.sbc_jumps import NAME, run_jump_reliability

    grid = JUMP_GRIDS[direction]
    seeds = range(seed0, seed0 + n_seeds)
    powers = tuple(
        float(
            np.mean([run_jump_reliability(scaled_sigma_d_classifier(f), k).failed for k in seeds])
        )
        for f in grid
    )
    return SeverityRow(
        NAME, direction, grid, powers, {t: crossing(grid, powers, t) for t in POWERS}
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="seeds per grid point")
    parser.add_argument("--check", choices=sorted(SCENARIOS), help="one check only")
    parser.add_argument(
        "--jump-seeds", type=int, default=0, help="also sbc.jump_reliability, seeds per point"
    )
    args = parser.parse_args(argv)
    checks = [args.check] if args.check else list(SCENARIOS)
    rows = [severity(c, d, args.seeds) for c in checks for d in GRIDS]
    rows += [jump_severity(d, args.jump_seeds) for d in JUMP_GRIDS if args.jump_seeds]
    print(
        f"seeds per grid point: {args.seeds} (from {SEED0}); N = "
        f"{ExactSbcSettings().n_replications} replications, alpha = {ExactSbcSettings().alpha}"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
