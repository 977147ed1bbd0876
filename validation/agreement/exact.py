"""Deterministic checks of the EWMA and covariance candidates against explicit formulas.

Each check simulates one seeded scenario, runs the candidate, and compares its whole output
path with a reference computed here from the raw data by a *different* route (explicit weight
vectors, ``np.cov``), so an incremental implementation is checked against the definition it
claims to compute. They are exact comparisons up to floating-point rounding: the nominal
false-alarm rate is 0 (and is measured, see :mod:`validation.agreement.audit`).

- ``"exact.ewma_weights"``: the hybrid EWMA equals the normalised weighted sum
  ``sum_i w_i x_i / sum_i w_i`` with ``w_i = (1 - alpha)**(k - i) * 2**(-(t_k - t_i) / H)``,
  ``alpha = 1 - 2**(-1/h)``, after every observation k, to 1e-9 relative.
- ``"exact.ewma_fixed_point"``: a constant input stays that constant (1e-12 relative) whatever
  the (irregular) gaps between observations.
- ``"exact.covariance_weights"``: the covariance path equals
  ``np.cov(kappa[:k], sigma[:k], aweights=d**(k - i), bias=True)``, ``d = 2**(-1/h)``, from the
  first observation on, to 1e-9 relative, and no variance is negative.

Example (the production candidates pass; the reference path by hand: inputs 0 then 1 at the
same time, tick half-life 1, so the weights are 1/2 and 1 and the second value is
(0 / 2 + 1) / (1 / 2 + 1) = 2/3)::

    >>> from validation.candidates import correct_candidates
    >>> production = correct_candidates()
    >>> check_ewma_weights(production["ewma"], 0).status.value
    'pass'
    >>> check_ewma_fixed_point(production["ewma"], 0).status.value
    'pass'
    >>> check_covariance_weights(production["covariance"], 0).status.value
    'pass'
    >>> explicit_hybrid_ewma(np.array([0.0, 1.0]), np.array([0, 0]), 1.0, 1000.0).round(6)
    array([0.      , 0.666667])
"""

from __future__ import annotations

import numpy as np

from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.families import Candidate, CheckSpec, CovariancePath
from validation.results import CheckResult, Status
from validation.scenarios import (
    IrregularSeries,
    simulate_irregular_series,
    simulate_parameter_path,
)

EWMA_N = 400
"""Observations in the EWMA scenarios (bursts of ~50 ms gaps and lulls of ~5 s)."""
EWMA_HALF_LIFE_TICKS = 20.0
"""Tick half-life used by the EWMA checks."""
EWMA_TIME_HALF_LIFE_MS = 2_000.0
"""Time half-life (ms) used by the EWMA checks: a 5 s lull decays weights by about 2**-2.5,
a 50 ms burst gap by 2**-0.025, so both decays shape the output."""
EWMA_RTOL = 1e-9
FIXED_POINT_RTOL = 1e-12

COVARIANCE_N = 300
COVARIANCE_HALF_LIFE_TICKS = 50.0
"""The production half-life of ParameterCovariance (REFERENCE_FACTS.md)."""
COVARIANCE_RTOL = 1e-9


def explicit_hybrid_ewma(
    values: np.ndarray, timestamps_ms: np.ndarray, half_life_ticks: float, time_half_life_ms: float
) -> np.ndarray:
    """Reference path: after observation k, ``sum_{i<=k} w_i x_i / sum_{i<=k} w_i`` with
    ``log2 w_i = -(k - i) / half_life_ticks - (t_k - t_i) / time_half_life_ms``.

    Built as an explicit (n, n) lower-triangular weight matrix (O(n^2) memory and time).
    """
    x = np.asarray(values, dtype=float)
    t = np.asarray(timestamps_ms, dtype=float)
    idx = np.arange(len(x), dtype=float)
    log2_w = -(idx[:, None] - idx[None, :]) / half_life_ticks
    log2_w -= (t[:, None] - t[None, :]) / time_half_life_ms
    w = np.where(np.tri(len(x), dtype=bool), np.exp2(np.minimum(log2_w, 0.0)), 0.0)
    return (w @ x) / w.sum(axis=1)


def explicit_weighted_covariances(
    kappa: np.ndarray, sigma: np.ndarray, half_life_ticks: float
) -> CovariancePath:
    """Reference path: after update k, ``np.cov(kappa[:k], sigma[:k], aweights=d**(k - i),
    bias=True)`` with ``d = 2**(-1/half_life_ticks)``."""
    n = len(kappa)
    d = 2.0 ** (-1.0 / half_life_ticks)
    cov, var_k, var_s = np.empty(n), np.empty(n), np.empty(n)
    for k in range(1, n + 1):
        weights = d ** np.arange(k - 1, -1, -1, dtype=float)
        m = np.cov(kappa[:k], sigma[:k], aweights=weights, bias=True)
        var_k[k - 1], cov[k - 1], var_s[k - 1] = m[0, 0], m[0, 1], m[1, 1]
    return CovariancePath(cov=cov, var_kappa=var_k, var_sigma=var_s)


def _as_path(output: object, n: int) -> np.ndarray | None:
    """The candidate's output as a float array of shape (n,), or None when it is not one."""
    try:
        arr = np.asarray(output, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == (n,) else None


def _relative_error(got: np.ndarray, ref: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``|got - ref| / scale`` with non-finite outputs counted as infinite error."""
    err = np.abs(got - ref) / np.maximum(scale, np.finfo(float).tiny)
    return np.where(np.isfinite(got), err, np.inf)


def _verdict(
    name: str, seed: int, statistic: float, threshold: float, timer: Timer, **details: object
) -> CheckResult:
    status = Status.PASS if statistic <= threshold else Status.FAIL
    return CheckResult(
        name=name,
        status=status,
        statistic=float(statistic),
        threshold=threshold,
        details=details,
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=0.0,
    )


def check_ewma_weights(candidate: Candidate, seed: int) -> CheckResult:
    """``"exact.ewma_weights"``: max relative error of the path vs the explicit weighted sum."""
    name, timer = "exact.ewma_weights", Timer()
    series = simulate_irregular_series(np.random.default_rng(seed), EWMA_N)
    try:
        out = call_candidate(candidate, series, EWMA_HALF_LIFE_TICKS, EWMA_TIME_HALF_LIFE_MS)
    except CandidateError as exc:
        return fail_result(name, seed, "candidate raised", 0.0, timer, error=str(exc))
    got = _as_path(out, EWMA_N)
    if got is None:
        return fail_result(name, seed, f"output is not a length-{EWMA_N} array", 0.0, timer)
    ref = explicit_hybrid_ewma(
        series.values, series.timestamps_ms, EWMA_HALF_LIFE_TICKS, EWMA_TIME_HALF_LIFE_MS
    )
    err = _relative_error(got, ref, np.abs(ref))
    worst = int(np.argmax(err))
    return _verdict(
        name,
        seed,
        float(err[worst]),
        EWMA_RTOL,
        timer,
        statistic_name="max relative error vs explicit normalised weighted sum",
        worst_index=worst,
        candidate_at_worst=float(got[worst]),
        reference_at_worst=float(ref[worst]),
        n=EWMA_N,
        half_life_ticks=EWMA_HALF_LIFE_TICKS,
        time_half_life_ms=EWMA_TIME_HALF_LIFE_MS,
    )


def check_ewma_fixed_point(candidate: Candidate, seed: int) -> CheckResult:
    """``"exact.ewma_fixed_point"``: a constant series must map to that constant exactly.

    The constant is ``+-10**u``, u ~ U(-3, 6) (sign and size from the seed); the gaps are those
    of :func:`simulate_irregular_series` (bursts and multi-second lulls).
    """
    name, timer = "exact.ewma_fixed_point", Timer()
    rng = np.random.default_rng(seed)
    times = simulate_irregular_series(rng, EWMA_N).timestamps_ms
    constant = float(rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-3.0, 6.0))
    series = IrregularSeries(np.full(EWMA_N, constant), times)
    try:
        out = call_candidate(candidate, series, EWMA_HALF_LIFE_TICKS, EWMA_TIME_HALF_LIFE_MS)
    except CandidateError as exc:
        return fail_result(name, seed, "candidate raised", 0.0, timer, error=str(exc))
    got = _as_path(out, EWMA_N)
    if got is None:
        return fail_result(name, seed, f"output is not a length-{EWMA_N} array", 0.0, timer)
    err = _relative_error(got, np.full(EWMA_N, constant), np.full(EWMA_N, abs(constant)))
    worst = int(np.argmax(err))
    return _verdict(
        name,
        seed,
        float(err[worst]),
        FIXED_POINT_RTOL,
        timer,
        statistic_name="max |output - c| / |c| for a constant input c",
        constant=constant,
        worst_index=worst,
        candidate_at_worst=float(got[worst]),
        n=EWMA_N,
        half_life_ticks=EWMA_HALF_LIFE_TICKS,
        time_half_life_ms=EWMA_TIME_HALF_LIFE_MS,
    )


def check_covariance_weights(candidate: Candidate, seed: int) -> CheckResult:
    """``"exact.covariance_weights"``: the covariance path vs weighted ``np.cov``.

    Relative errors: a variance is compared with ``max(ref_var, 1e-6 * median(ref_var))`` (the
    floor only matters at k = 1, where the exact variance is 0); the covariance with
    ``sqrt(ref_var_kappa * ref_var_sigma)``, the bound on |cov|, floored the same way. Any
    negative variance is a FAIL whatever the errors.
    """
    name, timer = "exact.covariance_weights", Timer()
    path = simulate_parameter_path(np.random.default_rng(seed), COVARIANCE_N)
    try:
        out = call_candidate(candidate, path, COVARIANCE_HALF_LIFE_TICKS)
    except CandidateError as exc:
        return fail_result(name, seed, "candidate raised", 0.0, timer, error=str(exc))
    fields = ("cov", "var_kappa", "var_sigma")
    arrays = [_as_path(getattr(out, f, None), COVARIANCE_N) for f in fields]
    if any(a is None for a in arrays):
        reason = f"output is not a CovariancePath of length-{COVARIANCE_N} arrays"
        return fail_result(name, seed, reason, 0.0, timer)
    got_cov, got_vk, got_vs = arrays
    ref = explicit_weighted_covariances(path.kappa, path.sigma, COVARIANCE_HALF_LIFE_TICKS)
    scale_k = np.maximum(ref.var_kappa, 1e-6 * np.median(ref.var_kappa))
    scale_s = np.maximum(ref.var_sigma, 1e-6 * np.median(ref.var_sigma))
    errors = {
        "cov": _relative_error(got_cov, ref.cov, np.sqrt(scale_k * scale_s)),
        "var_kappa": _relative_error(got_vk, ref.var_kappa, scale_k),
        "var_sigma": _relative_error(got_vs, ref.var_sigma, scale_s),
    }
    worst = {k: float(np.max(v)) for k, v in errors.items()}
    negatives = int(np.sum(got_vk < 0.0) + np.sum(got_vs < 0.0))
    statistic = max(worst.values())
    result = _verdict(
        name,
        seed,
        statistic,
        COVARIANCE_RTOL,
        timer,
        statistic_name="max relative error vs np.cov(aweights=d**(k-i), bias=True)",
        max_relative_error=worst,
        first_index_over_tolerance={
            k: (int(np.argmax(v > COVARIANCE_RTOL)) if np.any(v > COVARIANCE_RTOL) else None)
            for k, v in errors.items()
        },
        negative_variances=negatives,
        n=COVARIANCE_N,
        half_life_ticks=COVARIANCE_HALF_LIFE_TICKS,
    )
    if negatives:
        result.status = Status.FAIL
    return result


CHECKS = [
    CheckSpec(
        name="exact.ewma_weights",
        family="ewma",
        run=check_ewma_weights,
        uses_mcmc=False,
        false_alarm_rate=0.0,
        description="hybrid EWMA path equals the explicit normalised weighted sum (1e-9 rel)",
    ),
    CheckSpec(
        name="exact.ewma_fixed_point",
        family="ewma",
        run=check_ewma_fixed_point,
        uses_mcmc=False,
        false_alarm_rate=0.0,
        description="a constant input stays exactly constant for irregular gaps (1e-12 rel)",
    ),
    CheckSpec(
        name="exact.covariance_weights",
        family="covariance",
        run=check_covariance_weights,
        uses_mcmc=False,
        false_alarm_rate=0.0,
        description="EWMA covariance path equals weighted np.cov from the first update (1e-9 rel)",
    ),
]
