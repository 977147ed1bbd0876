"""``"sbc.kappa_loglik_pit"``: SBC of a data-dependent test quantity, the log-likelihood of the
simulated data, for the kappa posterior.

A parameter PIT u = F(kappa_true | data) is uniform for ANY posterior that is exact given
SOME function of the data: a posterior that conditions on half of the fills (with the right
prior) is a correct posterior of less information, so its parameter PIT and its interval
coverage are exactly calibrated and ``sbc.kappa_pit`` cannot see that half the data are
ignored. A test quantity that depends on all the data can (Modrak et al. 2023, "Simulation-
based calibration checking for Bayesian computation: the choice of test quantities shapes
sensitivity", Bayesian Analysis): with

    T(kappa) = log p(d_1..d_n | kappa) = n log kappa - kappa S,    S = sum d_i,

(Exp(kappa) distances, the simulated data, not floored) and kappa ~ the candidate's posterior,
the exact posterior makes T(kappa_true) distributed as T(kappa) under the posterior, so

    u_T = P_post(T(kappa) <= T(kappa_true)) = F(lo) + 1 - F(hi)

is U(0, 1), where {kappa : T(kappa) > T(kappa_true)} = (lo, hi) is the interval between
kappa_true and the other root of T(kappa) = T(kappa_true) (T is concave with its maximum at
n / S; the other root is x' n / S with x' = -W(-x0 e^-x0) on the other Lambert-W branch,
x0 = kappa_true S / n). A posterior that ignores part of the data is too wide relative to
the full likelihood, so kappa_true (close to the full maximum) sits too high in T: u_T piles
up near 1.

Scenario and replications as ``sbc.kappa_pit`` (kappa ~ Gamma(5, 5/2500), 1..500 fills
log-uniform, N = 2000); verdict: the ECDF band + chi-square uniformity test of u_T
(:func:`validation.calibration.uniformity.uniformity_test`) at alpha = 0.001.

Measured (``python -m validation.catalogue.audit --check sbc.kappa_loglik_pit --seeds 100``):
see the README (catalogue entry ``kappa.latest_half_only``).

Example::

    >>> from online.gamma_posterior import GammaPosterior
    >>> d = np.array([1e-4, 3e-4, 2e-4])
    >>> u = loglik_pit(GammaPosterior(5.0 + 3, 5 / 2500 + d.sum()), d, 2500.0)
    >>> 0.0 <= u <= 1.0
    True
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import special

from validation.calibration._sbc import (
    CANDIDATE_ERRORS,
    Progress,
    candidate_error_result,
    log_uniform_int,
)
from validation.calibration.pit import ReplicationMoments
from validation.calibration.sbc_exact import ExactSbcSettings
from validation.calibration.uniformity import uniformity_test
from validation.families import Candidate, PosteriorLike
from validation.results import CheckResult, Status
from validation.scenarios import simulate_kappa

NAME = "sbc.kappa_loglik_pit"


def other_root(x0: float) -> float:
    """The x != x0 with log x - x = log x0 - x0 (x0 > 0; x0 itself when x0 == 1)."""
    z = -x0 * math.exp(-x0)
    if z <= -math.exp(-1.0):  # x0 = 1 up to rounding: the double root at the maximum
        return 1.0
    branch = -1 if x0 < 1.0 else 0
    return float(-special.lambertw(z, branch).real)


def loglik_pit(posterior: PosteriorLike, distances: np.ndarray, kappa: float) -> float:
    """u_T of the module docstring: the posterior probability that T(kappa') <= T(kappa)."""
    d = np.asarray(distances, dtype=float)
    n, total = d.size, float(d.sum())
    x0 = kappa * total / n
    partner = other_root(x0) * n / total
    lo, hi = min(kappa, partner), max(kappa, partner)
    return float(posterior.cdf(lo)) + 1.0 - float(posterior.cdf(hi))


def run_kappa_loglik_pit(
    candidate: Candidate,
    seed: int,
    *,
    settings: ExactSbcSettings | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """SBC of u_T for a ``"kappa"`` candidate (module docstring)."""
    s = settings if settings is not None else ExactSbcSettings()
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    u_t, sizes, thetas, means, sds = [], [], [], [], []
    try:
        for k in range(s.n_replications):
            n = log_uniform_int(rng, s.n_min, s.n_max)
            data = simulate_kappa(rng, s.prior.draw(rng), n)
            post = candidate(data, s.prior)
            u_t.append(loglik_pit(post, data.distances, data.kappa))
            sizes.append(n)
            thetas.append(data.kappa)
            means.append(float(post.mean))
            sds.append(float(post.sd))
            if progress:
                progress(k + 1, s.n_replications)
        uni = uniformity_test(np.clip(np.array(u_t), 0.0, 1.0), s.alpha)
    except CANDIDATE_ERRORS as exc:
        return candidate_error_result(NAME, exc, seed, time.perf_counter() - start, s.alpha)
    return CheckResult(
        name=NAME,
        status=Status.FAIL if uni.rejected else Status.PASS,
        statistic=uni.statistic,
        threshold=1.0,
        details={
            "statistic_name": "max(ECDF band excursion, chi2 / critical) of the log-likelihood "
            "PIT u_T; FAIL when > 1",
            "n_replications": s.n_replications,
            "alpha": s.alpha,
            "pit": u_t,
            "uniformity": uni,
            "n_per_replication": sizes,
            "replications": ReplicationMoments(
                np.asarray(thetas, dtype=float), np.asarray(means), np.asarray(sds)
            ),
            "prior": {"alpha": s.prior.alpha, "beta": s.prior.beta},
        },
        seed=seed,
        seconds=time.perf_counter() - start,
        false_alarm_rate=s.alpha,
    )
