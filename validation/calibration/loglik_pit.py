"""``"sbc.kappa_loglik_pit"``: SBC of two data-dependent test quantities of the kappa posterior,
the log-likelihood of the simulated fills and the exact log posterior density of the
sufficient-statistic pivot.

A parameter PIT u = F(kappa_true | data) is uniform for ANY posterior that is exact given
SOME function of the data: a posterior that conditions on half of the fills (with the right
prior) is a correct posterior of less information, so its parameter PIT and its interval
coverage are exactly calibrated and ``sbc.kappa_pit`` cannot see that half the data are
ignored. A test quantity that depends on all the data can (Modrak et al. 2023, "Simulation-
based calibration checking for Bayesian computation: the choice of test quantities shapes
sensitivity", Bayesian Analysis). Both quantities here have the form

    g(kappa) = c log kappa - r kappa        (concave, maximum at c / r)

with, for Exp(kappa) distances d_1..d_n (the simulated data, not floored), S = sum d_i and
the check's prior Gamma(a0, b0) (shape-rate):

- ``"loglik"``: c = n, r = S: g is the log-likelihood n log kappa - kappa S;
- ``"pivot_density"``: c = a0 + n - 1, r = b0 + S: g is the log density (up to a constant)
  of the exact posterior Gamma(a0 + n, b0 + S), a function of the pivot kappa (b0 + S),
  whose law given the data under the exact posterior is Gamma(a0 + n, 1).

With kappa ~ the candidate's posterior F, the exact posterior makes g(kappa_true)
distributed as g(kappa), so

    u_g = P_F(g(kappa) <= g(kappa_true)) = F(lo) + 1 - F(hi)

is U(0, 1), where {kappa : g(kappa) > g(kappa_true)} = (lo, hi) is the interval between
kappa_true and the other root of g(kappa) = g(kappa_true) (x' c / r with x' = -W(-x0 e^-x0)
on the other Lambert-W branch, x0 = kappa_true r / c). A posterior that ignores part of the
data is too wide relative to the full likelihood, so kappa_true (close to the full maximum)
sits too high in g: u_g piles up near 1.

The pivot kappa (b0 + S) itself, or kappa S, is NOT ranked: for fixed data it is increasing
in kappa, so its rank is the parameter PIT F(kappa_true) (the identity is a test in
``tests/test_calibration_loglik_pit.py``) and catches nothing ``sbc.kappa_pit`` misses. The
folded pivot ``"pivot_density"`` does: it is centred on the exact posterior, so it also sees a
posterior shifted from it, which the likelihood (centred on the maximum-likelihood estimate
n / S) does not.

Scenario and replications as ``sbc.kappa_pit`` (kappa ~ Gamma(5, 5/2500), 1..500 fills
log-uniform, N = 2000); verdict: the ECDF band + chi-square uniformity test
(:func:`validation.calibration.uniformity.uniformity_test`) of each quantity at alpha / 2
(Bonferroni over the two quantities; alpha = 0.001), FAIL when either rejects.

Measured (``python -m validation.catalogue.audit --check sbc.kappa_loglik_pit --seeds 100``):
see the README (catalogue entry ``kappa.latest_half_only``).

Example (three fills, the exact posterior; the pivot's rank is the parameter PIT)::

    >>> from online.gamma_posterior import GammaPosterior
    >>> d = np.array([1e-4, 3e-4, 2e-4])
    >>> post = GammaPosterior(5.0 + 3, 5 / 2500 + d.sum())
    >>> u = level_set_pit(post, 2500.0, *QUANTITIES["loglik"](3, d.sum(), GammaPrior()))
    >>> 0.0 <= u <= 1.0
    True
    >>> lo, hi = level_set_interval(2500.0, 3.0, d.sum())
    >>> bool(abs(3 * np.log(lo) - lo * d.sum() - (3 * np.log(hi) - hi * d.sum())) < 1e-9)
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

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
from validation.calibration.uniformity import UniformityTest, uniformity_test
from validation.families import Candidate, PosteriorLike
from validation.results import CheckResult, Status
from validation.scenarios import GammaPrior, simulate_kappa

NAME = "sbc.kappa_loglik_pit"

Coefficients = Callable[[np.ndarray, np.ndarray, GammaPrior], tuple[np.ndarray, np.ndarray]]
QUANTITIES: dict[str, Coefficients] = {
    "loglik": lambda n, total, prior: (n, total),
    "pivot_density": lambda n, total, prior: (prior.alpha + n - 1.0, prior.beta + total),
}
"""(c, r) of each ranked quantity g = c log kappa - r kappa, from the number of fills n, the
sum of distances S and the check's prior (module docstring)."""


def other_root(x0: np.ndarray | float) -> np.ndarray:
    """The x != x0 with log x - x = log x0 - x0 (x0 > 0; 1 when x0 == 1 up to rounding)."""
    x = np.asarray(x0, dtype=float)
    z = np.maximum(-x * np.exp(-x), -math.exp(-1.0))
    upper = -special.lambertw(z, 0).real  # the root in (0, 1]
    lower = -special.lambertw(z, -1).real  # the root in [1, inf)
    root = np.where(x < 1.0, lower, upper)
    return np.where(z <= -math.exp(-1.0), 1.0, root)


def level_set_interval(
    kappa: np.ndarray | float, c: np.ndarray | float, r: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) = {k : c log k - r k > c log kappa - r kappa} (c, r > 0), elementwise."""
    kappa, c, r = (np.asarray(v, dtype=float) for v in (kappa, c, r))
    partner = other_root(kappa * r / c) * c / r
    return np.minimum(kappa, partner), np.maximum(kappa, partner)


def level_set_pit(posterior: PosteriorLike, kappa: float, c: float, r: float) -> float:
    """u_g of the module docstring for one replication: P_post(g(kappa') <= g(kappa))."""
    lo, hi = level_set_interval(kappa, c, r)
    return float(posterior.cdf(float(lo))) + 1.0 - float(posterior.cdf(float(hi)))


def verdict(
    u: dict[str, np.ndarray], alpha: float
) -> tuple[bool, float, dict[str, UniformityTest]]:
    """FAIL flag, statistic and per-quantity uniformity tests of the check (each quantity at
    alpha / len(u), Bonferroni)."""
    tests = {q: uniformity_test(np.clip(v, 0.0, 1.0), alpha / len(u)) for q, v in u.items()}
    failed = any(t.rejected for t in tests.values())
    return failed, max(t.statistic for t in tests.values()), tests


def run_kappa_loglik_pit(
    candidate: Candidate,
    seed: int,
    *,
    settings: ExactSbcSettings | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """SBC of u_loglik and u_pivot_density for a ``"kappa"`` candidate (module docstring)."""
    s = settings if settings is not None else ExactSbcSettings()
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    u: dict[str, list[float]] = {q: [] for q in QUANTITIES}
    sizes, thetas, means, sds, pits = [], [], [], [], []
    try:
        for k in range(s.n_replications):
            n = log_uniform_int(rng, s.n_min, s.n_max)
            data = simulate_kappa(rng, s.prior.draw(rng), n)
            post = candidate(data, s.prior)
            total = float(data.distances.sum())
            for q, coefficients in QUANTITIES.items():
                c, r = coefficients(np.array(float(n)), np.array(total), s.prior)
                u[q].append(level_set_pit(post, data.kappa, float(c), float(r)))
            sizes.append(n)
            thetas.append(data.kappa)
            means.append(float(post.mean))
            sds.append(float(post.sd))
            pits.append(float(post.cdf(data.kappa)))
            if progress:
                progress(k + 1, s.n_replications)
        failed, statistic, tests = verdict({q: np.array(v) for q, v in u.items()}, s.alpha)
    except CANDIDATE_ERRORS as exc:
        return candidate_error_result(NAME, exc, seed, time.perf_counter() - start, s.alpha)
    return CheckResult(
        name=NAME,
        status=Status.FAIL if failed else Status.PASS,
        statistic=statistic,
        threshold=1.0,
        details={
            "statistic_name": "max over the two test quantities (log-likelihood, pivot "
            "posterior density) of max(ECDF band excursion, chi2 / critical) of their PITs, "
            "each at alpha / 2; FAIL when > 1",
            "n_replications": s.n_replications,
            "alpha": s.alpha,
            "quantities": {q: {"pit": u[q], "uniformity": tests[q]} for q in QUANTITIES},
            "n_per_replication": sizes,
            "replications": ReplicationMoments(
                np.asarray(thetas, dtype=float),
                np.asarray(means),
                np.asarray(sds),
                ranked={"PIT": np.asarray(pits), **{f"u_{q}": np.asarray(v) for q, v in u.items()}},
            ),
            "prior": {"alpha": s.prior.alpha, "beta": s.prior.beta},
        },
        seed=seed,
        seconds=time.perf_counter() - start,
        false_alarm_rate=s.alpha,
    )
