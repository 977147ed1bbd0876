"""``"agreement.jumps_mcmc"``: the online jump classifier vs the PyMC mixture posterior.

Scenario: ``MCMC_N`` returns from :func:`validation.scenarios.simulate_jumps` (pi = 0.05,
sigma_d = 1e-4, sigma_j = 5e-4). Reference: ``reference_models.jump_mixture`` (marginalised
two-scale mixture, sigma_j > sigma_d, priors stated there), fitted once per seed.

The online EM is an approximation with its own stationary noise: with step g = 0.01 a run's
final parameters summarise only its last ~1/g (effectively ~200) returns, while the posterior
conditions on all ``MCMC_N``; one final snapshot is 2-3 posterior sds away from the posterior
mean for a correct candidate, which would hide a 30% error in sigma_j. So the candidate is run
on ``ROTATIONS`` cyclic rotations of the same returns (rotation k starts at return
``k * MCMC_N / ROTATIONS``, so each run ends on a different block of 200 returns and together
they cover the data set); the compared online quantities are the averages over the rotations:

- parameters: the mean over rotations of log pi, log sigma_d, log sigma_j, against the
  posterior mean of the same log parameter. Tolerance ``z * MCSE + APPROX_TOL[theta] *
  posterior sd`` (MCSE of the posterior mean of the log parameter, ``az.mcse(method="mean")``);
- per observation: ``p_bar[i]``, the rotation average of the candidate's ``p_jump[i]``
  (un-rotated back to return i), against the MCMC membership probability E[z_i | data]
  (``reference_models.jump_mixture.membership_probabilities``); statistic ``max_i |p_bar[i] -
  m_i|`` with tolerance ``APPROX_TOL_P``.

The approximation tolerances were MEASURED (not derived): :func:`calibrate` runs the production
candidate and the reference on ``CALIBRATION_SEEDS`` seeded scenarios with exactly the
check's sampler settings (so Monte Carlo error of the reference is included). Parameter
tolerances are ``|mean| + z * sd`` of the measured standardised discrepancy, with
``z = Phi^-1(1 - ALPHA / (2 * 4))`` (Bonferroni over the four statistics; symmetric about 0,
so an unbiased candidate is never penalised for the production EM's own bias); the
per-observation tolerance is the ``1 - ALPHA / 4`` quantile of a Gamma fitted to the measured
``max_abs_dp`` (see :func:`tolerances_from`). The numbers are in ``CALIBRATION``, with the
detection rates of the known-bad variants this must catch (the binary 3-sigma classifier, the
design's hard-threshold sigma_j update) on the same seeds. ``MCMC_N = 4000``: with 2000
returns the hard-threshold variant was caught on only 91 of 100 calibration seeds.

A fit that fails the convergence gate makes the check INCONCLUSIVE.

Example (a full check fits a PyMC model, too slow for an example; these are the statistics it
compares, by hand: (-2.5 + 3) / 0.25 = 2, 0 / 0.5 = 0, (-7.5 + 7) / 0.5 = -1 posterior sds;
|p_bar - m| = (0.125, 0.25))::

    >>> import numpy as np
    >>> from reference_models.diagnostics import Diagnostics
    >>> avg = RotationAverage(
    ...     p_bar=np.array([0.125, 0.75]),
    ...     log_params={"pi": -2.5, "sigma_d": -9.0, "sigma_j": -7.5},
    ...     per_rotation=[],
    ... )
    >>> ref = Reference(
    ...     log_mean={"pi": -3.0, "sigma_d": -9.0, "sigma_j": -7.0},
    ...     log_sd={"pi": 0.25, "sigma_d": 0.5, "sigma_j": 0.5},
    ...     log_mcse={"pi": 0.01, "sigma_d": 0.01, "sigma_j": 0.01},
    ...     membership=np.array([0.0, 1.0]),
    ...     mcmc=McmcRecord(Diagnostics({}, {}, {}, 0, 0.0, "pymc", usable=True), seed=0),
    ... )
    >>> discrepancies(avg, ref)
    {'pi': 2.0, 'sigma_d': 0.0, 'sigma_j': -1.0, 'max_abs_dp': 0.25, 'mean_abs_dp': 0.1875}
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.agreement._reference import mcmc_seed, reference_model
from validation.agreement.jumps import TRUE_PI, TRUE_SIGMA_D, TRUE_SIGMA_J, valid_parameters
from validation.agreement.posterior import arviz_without_numba
from validation.agreement.reference_fits import McmcRecord
from validation.families import Candidate, CheckSpec
from validation.results import CheckResult, Status
from validation.scenarios import simulate_jumps

NAME = "agreement.jumps_mcmc"
MCMC_N = 4000
ROTATIONS = 20
PARAMS = ("pi", "sigma_d", "sigma_j")
ALPHA = 1e-3
Z = float(stats.norm.isf(ALPHA / (2 * 4)))
"""Two-sided Bonferroni critical value over 3 parameters + 1 per-observation statistic."""

CALIBRATION_SEEDS = 100
CALIBRATION_SEED0 = 50_000


def _sampler_settings():
    from reference_models.sampling import SamplerSettings

    return SamplerSettings(draws=1000, tune=1000, chains=2)


def scenario_returns(seed: int) -> np.ndarray:
    """The check's returns for ``seed``."""
    rng = np.random.default_rng(seed)
    return simulate_jumps(rng, MCMC_N, TRUE_PI, TRUE_SIGMA_D, TRUE_SIGMA_J).returns


@dataclass(frozen=True)
class Reference:
    """What the check needs of one MCMC fit: log-parameter posterior means, sds and MCSEs,
    membership probabilities, and the convergence verdict."""

    log_mean: dict[str, float]
    log_sd: dict[str, float]
    log_mcse: dict[str, float]
    membership: np.ndarray
    mcmc: McmcRecord

    @property
    def usable(self) -> bool:
        """Whether the fit passed the convergence gate."""
        return self.mcmc.usable


@functools.lru_cache(maxsize=8)
def reference(seed: int) -> Reference:
    """Fit the mixture reference to the returns of ``seed`` (memoised per process)."""
    from validation.agreement.reference_fits import fit

    returns = scenario_returns(seed)
    result = fit(
        reference_model("jump_mixture"),
        {"returns": returns},
        seed=mcmc_seed(seed),
        settings=_sampler_settings(),
    )
    return reference_from_fit(result, returns)


def reference_from_fit(result: Any, returns: np.ndarray, **extra: Any) -> Reference:
    """Log-scale posterior summaries (mean, sd, MCSE of the mean), memberships, and the fit's
    :class:`McmcRecord` (``extra``: sampler settings to record with it)."""
    import arviz as az

    from reference_models.jump_mixture import membership_probabilities

    post = result.idata.posterior
    logs = {k: np.log(np.asarray(post[k].values, dtype=float)) for k in PARAMS}
    with arviz_without_numba():
        mcse = {k: float(az.mcse(v, method="mean")) for k, v in logs.items()}
    return Reference(
        log_mean={k: float(v.mean()) for k, v in logs.items()},
        log_sd={k: float(v.std(ddof=1)) for k, v in logs.items()},
        log_mcse=mcse,
        membership=membership_probabilities(result, returns),
        mcmc=McmcRecord.of(result, **extra),
    )


@dataclass(frozen=True)
class RotationAverage:
    """Candidate outputs averaged over the rotations (see module docstring)."""

    p_bar: np.ndarray
    log_params: dict[str, float]
    per_rotation: list[dict[str, float]]


def rotation_average(candidate: Candidate, returns: np.ndarray) -> RotationAverage | str:
    """Run ``candidate`` on every rotation; a string says why its output is unusable.

    Raises:
        CandidateError: when the candidate raises.
    """
    n = len(returns)
    p_sum = np.zeros(n)
    rows = []
    for k in range(ROTATIONS):
        shift = k * n // ROTATIONS
        fit = call_candidate(candidate, np.roll(returns, -shift))
        params = valid_parameters(fit)
        if params is None:
            return f"invalid (pi, sigma_d, sigma_j) on rotation {k}"
        p = np.asarray(getattr(fit, "p_jump", None), dtype=float)
        if p.shape != (n,) or not np.all(np.isfinite(p)):
            return f"p_jump is not a finite length-{n} array on rotation {k}"
        p_sum += np.roll(p, shift)
        rows.append(dict(zip(PARAMS, np.log(params).tolist(), strict=True)))
    log_params = {k: float(np.mean([r[k] for r in rows])) for k in PARAMS}
    return RotationAverage(p_sum / ROTATIONS, log_params, rows)


def discrepancies(avg: RotationAverage, ref: Reference) -> dict[str, float]:
    """Standardised parameter discrepancies ``(online - posterior mean) / posterior sd`` (log
    scale) and the per-observation ``max_abs_dp`` / ``mean_abs_dp``."""
    out = {k: (avg.log_params[k] - ref.log_mean[k]) / ref.log_sd[k] for k in PARAMS}
    dp = np.abs(avg.p_bar - ref.membership)
    out["max_abs_dp"] = float(dp.max())
    out["mean_abs_dp"] = float(dp.mean())
    return out


# Measured by calibrate({"soft_jumps": soft_jumps, ...}) over seeds 50_000..50_099 (all 100
# fits passed the convergence gate) and tolerances_from(rows of soft_jumps).
APPROX_TOL = {"pi": 1.7170, "sigma_d": 2.3296, "sigma_j": 3.3176}
"""|online - posterior mean| allowed per log parameter, in posterior sds (beyond z * MCSE)."""
APPROX_TOL_P = 0.12154
"""Allowed max_i |p_bar[i] - m_i|."""
CALIBRATION: dict[str, object] = {
    "seeds": [CALIBRATION_SEED0, CALIBRATION_SEED0 + CALIBRATION_SEEDS - 1],
    "usable_fits": 100,
    "production soft_jumps": {
        "standardised discrepancy mean/sd": {
            "pi": (0.4006, 0.3594),
            "sigma_d": (-0.5355, 0.4899),
            "sigma_j": (-1.3605, 0.5344),
        },
        "max_abs_dp mean/sd/max": (0.0418, 0.0157, 0.0861),
        "failures": 0,
    },
    "design hard-threshold sigma_j update": {
        "standardised discrepancy mean": {"pi": -2.8625, "sigma_d": 3.347, "sigma_j": 4.576},
        "max_abs_dp mean": 0.2176,
        "failures": 100,
    },
    "binary 3-sigma classifier": {
        "standardised discrepancy mean": {"pi": -5.0585, "sigma_d": 3.347, "sigma_j": -2.7867},
        "max_abs_dp mean": 0.2802,
        "failures": 100,
    },
}
"""The calibration run behind APPROX_TOL and APPROX_TOL_P (in-sample: the production
candidate's 0 failures there are by construction; see the audit test for fresh seeds)."""


def check_jumps_mcmc(candidate: Candidate, seed: int) -> CheckResult:
    """``"agreement.jumps_mcmc"`` (see module docstring)."""
    timer = Timer()
    returns = scenario_returns(seed)
    try:
        avg = rotation_average(candidate, returns)
    except CandidateError as exc:
        return fail_result(NAME, seed, "candidate raised", ALPHA, timer, error=str(exc))
    if isinstance(avg, str):
        return fail_result(NAME, seed, avg, ALPHA, timer)
    ref = reference(seed)
    disc = discrepancies(avg, ref)
    ratios, params = {}, {}
    for k in PARAMS:
        diff = abs(avg.log_params[k] - ref.log_mean[k])
        tol = Z * ref.log_mcse[k] + APPROX_TOL[k] * ref.log_sd[k]
        ratios[k] = diff / tol
        params[k] = {
            "online_log_mean": avg.log_params[k],
            "posterior_log_mean": ref.log_mean[k],
            "posterior_log_sd": ref.log_sd[k],
            "mcse": ref.log_mcse[k],
            "tolerance": tol,
            "standardised": disc[k],
        }
    ratios["max_abs_dp"] = disc["max_abs_dp"] / APPROX_TOL_P
    statistic = max(ratios.values())
    if not ref.usable:
        status = Status.INCONCLUSIVE
    else:
        status = Status.PASS if statistic <= 1.0 else Status.FAIL
    worst = int(np.argmax(np.abs(avg.p_bar - ref.membership)))
    return CheckResult(
        name=NAME,
        status=status,
        statistic=float(statistic),
        threshold=1.0,
        details={
            "statistic_name": "max over statistics of |online - mcmc| / tolerance",
            "ratios": ratios,
            "parameters": params,
            "max_abs_dp": disc["max_abs_dp"],
            "mean_abs_dp": disc["mean_abs_dp"],
            "max_abs_dp_tolerance": APPROX_TOL_P,
            "worst_index": worst,
            "worst_return": float(returns[worst]),
            "p_bar_at_worst": float(avg.p_bar[worst]),
            "membership_at_worst": float(ref.membership[worst]),
            "approx_tol_posterior_sds": dict(APPROX_TOL),
            "z": Z,
            "rotations": ROTATIONS,
            "n": MCMC_N,
            "mcmc": ref.mcmc,
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=ALPHA,
    )


def calibrate(
    candidates: dict[str, Candidate],
    n_seeds: int = CALIBRATION_SEEDS,
    seed0: int = CALIBRATION_SEED0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list[dict[str, float]]]:
    """Discrepancies of each named candidate on seeds ``seed0 .. seed0 + n_seeds - 1``.

    One reference fit per seed serves all candidates; seeds whose fit fails the convergence
    gate are skipped (and listed under ``"_unusable_seeds"`` as {"seed": s}).
    """
    out: dict[str, list[dict[str, float]]] = {name: [] for name in candidates}
    out["_unusable_seeds"] = []
    for i in range(n_seeds):
        seed = seed0 + i
        ref = reference(seed)
        if not ref.usable:
            out["_unusable_seeds"].append({"seed": seed})
        else:
            returns = scenario_returns(seed)
            for name, cand in candidates.items():
                avg = rotation_average(cand, returns)
                if isinstance(avg, str):
                    raise ValueError(f"{name} on seed {seed}: {avg}")
                out[name].append({"seed": seed, **discrepancies(avg, ref)})
        reference.cache_clear()
        if progress is not None:
            progress(i + 1, n_seeds)
    return out


def tolerances_from(rows: list[dict[str, float]]) -> tuple[dict[str, float], float]:
    """Approximation tolerances from calibration rows of the production candidate.

    Parameters: ``|mean| + Z * sd`` of the standardised discrepancy (two-sided, normal).
    Per observation: ``max_abs_dp`` is a positive, right-skewed maximum and only large values
    fail, so a Gamma distribution is fitted to it (maximum likelihood, location 0) and its
    ``1 - ALPHA / 4`` quantile is the tolerance (one-sided share of the budget).
    """
    tol = {}
    for k in PARAMS:
        v = np.array([r[k] for r in rows])
        tol[k] = float(abs(v.mean()) + Z * v.std(ddof=1))
    dp = np.array([r["max_abs_dp"] for r in rows])
    shape, _, scale = stats.gamma.fit(dp, floc=0.0)
    return tol, float(stats.gamma.ppf(1.0 - ALPHA / 4.0, shape, scale=scale))


CHECKS = [
    CheckSpec(
        name=NAME,
        family="jumps",
        run=check_jumps_mcmc,
        uses_mcmc=True,
        false_alarm_rate=ALPHA,
        description="rotation-averaged online EM vs PyMC mixture: parameters and P(jump)",
    ),
]
