"""Exact-PIT SBC of the closed-form kappa posteriors: "sbc.kappa_pit" and
"sbc.hierarchical_pinned_pit".

Each replication k draws the true parameter from the prior the candidate is given, simulates
data from it, asks the candidate for its posterior, and records u_k = F_k(theta_k) and whether
each credible interval (central, lower, upper at 50/80/95%) contains theta_k. For a posterior
that is exact for the simulated model the u_k are iid U(0, 1) and each coverage count is
Binomial(N, level); see :func:`validation.calibration._sbc.exact_pit_result` for the verdict
(false-alarm rate at most about alpha, measured by :mod:`validation.calibration.audit`).

The number of observations per replication is log-uniform on [n_min, n_max] so that the
prior-dominated small-n regime is exercised as much as the data-dominated one.

The production estimators floor distances at 1e-5 (0.1 bp), so their posterior is not exactly
the simulated model's. The floor adds E[(1e-5 - d)+] < 1e-5 P(d < 1e-5) / 2 per fill to the
rate: at kappa = 5000 (97th percentile of the prior) 0.12% of the expected sum of distances,
0.03 posterior sd at n = 500 and less below. Not detectable with thousands of replications;
the audit measures the false-alarm rate with the floor in place.

Example (the production candidates, 200 replications instead of 2000)::

    >>> from validation.candidates import correct_candidates
    >>> production = correct_candidates()
    >>> small = ExactSbcSettings(n_replications=200)
    >>> run_kappa_pit(production["kappa"], 0, settings=small).status.value
    'pass'
    >>> result = run_hierarchical_pinned_pit(production["hierarchical"], 0, settings=small)
    >>> result.status.value, len(result.details["n_per_replication"])
    ('pass', 200)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from validation.calibration._sbc import (
    CANDIDATE_ERRORS,
    Progress,
    candidate_error_result,
    exact_pit_result,
    log_uniform_int,
)
from validation.calibration.coverage import posterior_coverage, stack_indicators
from validation.calibration.pit import ReplicationMoments, exact_pit
from validation.families import Candidate, PosteriorLike
from validation.results import CheckResult
from validation.scenarios import GammaPrior, simulate_hierarchical, simulate_kappa

KAPPA_PIT = "sbc.kappa_pit"
HIERARCHICAL_PINNED_PIT = "sbc.hierarchical_pinned_pit"


@dataclass(frozen=True)
class ExactSbcSettings:
    """Replications and false-alarm rate of an exact-PIT SBC check.

    Attributes:
        n_replications: N, the number of simulated data sets.
        n_min, n_max: range of the log-uniform number of fills per data set.
        alpha: false-alarm rate of the check (Bonferroni over its tests).
        prior: prior of kappa (for "sbc.kappa_pit") or hyperprior of kappa_market (for
            "sbc.hierarchical_pinned_pit"), shape-rate; production default Gamma(5, 5/2500).
        a0: concentration of kappa_own | kappa_market ~ Gamma(a0, a0 / kappa_market)
            (hierarchical only; production default 5).
    """

    n_replications: int = 2000
    n_min: int = 1
    n_max: int = 500
    alpha: float = 0.001
    prior: GammaPrior = field(default_factory=GammaPrior)
    a0: float = 5.0


def _exact_pit_sbc(
    name: str,
    replicate: Callable[[np.random.Generator, int], tuple[PosteriorLike, float]],
    s: ExactSbcSettings,
    seed: int,
    progress: Progress | None,
    extra: dict[str, Any],
) -> CheckResult:
    """The SBC loop shared by both checks.

    ``replicate(rng, n)`` draws theta, simulates n observations, and returns the candidate's
    posterior with the true theta. A candidate that raises or returns a broken posterior
    fails the check (see :func:`candidate_error_result`).
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    posts, thetas, sizes, cover = [], [], [], []
    try:
        for k in range(s.n_replications):
            n = log_uniform_int(rng, s.n_min, s.n_max)
            post, theta = replicate(rng, n)
            cover.append(posterior_coverage(post, theta))
            posts.append(post)
            thetas.append(theta)
            sizes.append(n)
            if progress:
                progress(k + 1, s.n_replications)
        pit = exact_pit(posts, np.array(thetas))
    except CANDIDATE_ERRORS as exc:
        return candidate_error_result(name, exc, seed, time.perf_counter() - start, s.alpha)
    return exact_pit_result(
        name,
        pit,
        stack_indicators(cover),
        s.alpha,
        seed,
        time.perf_counter() - start,
        {
            "n_per_replication": sizes,
            "replications": ReplicationMoments(
                np.asarray(thetas, dtype=float),
                np.array([float(p.mean) for p in posts]),
                np.array([float(p.sd) for p in posts]),
                ranked={"PIT": pit},
            ),
            **extra,
        },
    )


def run_kappa_pit(
    candidate: Candidate,
    seed: int,
    *,
    settings: ExactSbcSettings | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """SBC of a ``"kappa"`` candidate: kappa ~ prior, distances ~ Exp(kappa), exact PIT."""
    s = settings if settings is not None else ExactSbcSettings()

    def replicate(rng: np.random.Generator, n: int) -> tuple[PosteriorLike, float]:
        data = simulate_kappa(rng, s.prior.draw(rng), n)
        return candidate(data, s.prior), data.kappa

    extra = {"prior": {"alpha": s.prior.alpha, "beta": s.prior.beta}}
    return _exact_pit_sbc(KAPPA_PIT, replicate, s, seed, progress, extra)


def run_hierarchical_pinned_pit(
    candidate: Candidate,
    seed: int,
    *,
    settings: ExactSbcSettings | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """SBC of a ``"hierarchical"`` candidate told the TRUE kappa_market.

    kappa_market ~ hyperprior, kappa_own | kappa_market ~ Gamma(a0, a0 / kappa_market), own
    distances ~ Exp(kappa_own); the exact posterior is Gamma(a0 + n, a0 / kappa_market + S),
    and the PIT is of kappa_own.
    """
    s = settings if settings is not None else ExactSbcSettings()

    def replicate(rng: np.random.Generator, n: int) -> tuple[PosteriorLike, float]:
        kappa_market = s.prior.draw(rng)
        data = simulate_hierarchical(rng, kappa_market, s.a0, n_own=n, n_market=0)
        return candidate(data, kappa_market), data.kappa_own

    extra = {"hyperprior": {"alpha": s.prior.alpha, "beta": s.prior.beta}, "a0": s.a0}
    return _exact_pit_sbc(HIERARCHICAL_PINNED_PIT, replicate, s, seed, progress, extra)
