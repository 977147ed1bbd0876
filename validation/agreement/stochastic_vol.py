"""``"recovery.stochastic_vol"``: the log-variance AR(1) estimates, on a simulated SV path.

Scenario: ``r_t = exp(h_t / 2) eps_t``, ``h_{t+1} - mu = phi (h_t - mu) + xi eta_t`` with
``corr(eps_t, eta_t) = rho`` (leverage), ``N_PATH`` buckets, Gaussian eps and eta
(:func:`simulate_sv_returns`). The candidate (family ``"stochastic_vol"``) streams the
returns and reports :class:`validation.families.SvFit` (phi, mu, xi, leverage). Two parts,
both must pass:

1. **exactness**: each estimate equals the batch computation of the formulas in
   :mod:`online.stochastic_vol` from the raw returns by another route (:func:`batch_sv_fit`:
   proxies from ``scipy.signal.lfilter``, weighted moments from ``np.cov(aweights=...)``, the
   proxy offset ``E[ln(z^2 + delta)]`` by ``scipy.stats.chi2(1).expect``), to 1e-8 relative;
2. **recovery**: each estimate is within ``Z_MAX`` sampling sds of the truth, the sd measured
   in the check over ``N_SD_PATHS`` further simulated paths with the batch formulas. Truths:
   phi, xi; ``mu + sqrt(2 pi delta) (exp(3 Var(h) / 8) - 1)`` (the first-order floor bias of
   mu stated in the estimator's module); leverage
   ``corr(r_t, h_{t+1} - h_t) = xi rho exp(-Var(h) / 8) / sqrt(2 Var(h) (1 - phi))``.

False alarms: exactness is deterministic (0); recovery has 4 two-sided 4-sd bands, nominal
``4 * 6.3e-5`` for Gaussian estimates, stated as 0.001.

Example::

    >>> import numpy as np
    >>> r = simulate_sv_returns(2000, 0.9, 0.4, -0.4, np.random.default_rng(0))
    >>> fit = batch_sv_fit(r, half_life_buckets=500.0, floor_fraction=1e-4, lags=10)
    >>> 0.5 < fit.phi < 1.0
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy import signal, stats

from online.stochastic_vol import StochasticVolConfig
from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.families import Candidate, CheckSpec, SvFit
from validation.results import CheckResult, Status

NAME = "recovery.stochastic_vol"
MU = math.log(1e-6)
"""Long-run log variance per bucket (a per-bucket return sd of 1e-3)."""
PHI, XI, RHO = 0.95, 0.3, -0.5
N_PATH = 20_000
N_SD_PATHS = 30
CONFIG = StochasticVolConfig(half_life_buckets=4_000.0)
"""Half-life 4000 buckets (about 14 000 effective): the precision the module docstring quotes."""
EXACT_RTOL = 1e-8
Z_MAX = 4.0
FALSE_ALARM_RATE = 0.001
FIELDS = ("phi", "mu", "xi", "leverage")


def simulate_sv_returns(
    n: int, phi: float, xi: float, rho: float, rng: np.random.Generator, mu: float = MU
) -> np.ndarray:
    """``n`` returns of the SV model above, h started from its stationary law."""
    eps = rng.standard_normal(n)
    eta = rho * eps + math.sqrt(1.0 - rho * rho) * rng.standard_normal(n)
    h0 = xi / math.sqrt(1.0 - phi * phi) * rng.standard_normal()
    dev = signal.lfilter([1.0], [1.0, -phi], np.r_[h0, xi * eta[:-1]])
    return np.exp((mu + dev) / 2.0) * eps


def true_sv_fit(phi: float, xi: float, rho: float, floor_fraction: float, mu: float = MU) -> SvFit:
    """What the estimator targets: the truth, mu shifted by its stated floor bias."""
    var_h = xi * xi / (1.0 - phi * phi)
    bias = math.sqrt(2.0 * math.pi * floor_fraction) * math.expm1(3.0 * var_h / 8.0)
    leverage = xi * rho * math.exp(-var_h / 8.0) / math.sqrt(2.0 * var_h * (1.0 - phi))
    return SvFit(phi=phi, mu=mu + bias, xi=xi, leverage=leverage)


def log_variance_proxies(
    returns: np.ndarray, half_life_buckets: float, floor_fraction: float
) -> np.ndarray:
    """``y_t = ln(r_t^2 + delta m_t)``, ``m`` the tick EWMA of ``r^2`` (alpha = 1 - 2**(-1/h))
    started at ``r_0^2``, by ``scipy.signal.lfilter``.

    >>> bool(log_variance_proxies(np.array([1e-3, 0.0]), 10.0, 0.5)[1] < 2 * np.log(1e-3))
    True
    """
    r2 = np.square(np.asarray(returns, dtype=float))
    a = -math.expm1(-math.log(2.0) / half_life_buckets)
    m = np.r_[r2[0], signal.lfilter([a], [1.0, a - 1.0], r2[1:], zi=[(1.0 - a) * r2[0]])[0]]
    return np.log(r2 + floor_fraction * m)


def batch_sv_fit(
    returns: np.ndarray, half_life_buckets: float, floor_fraction: float, lags: int
) -> SvFit:
    """The estimator's formulas as one batch computation over the whole path (no clipping).

    ``y_t = ln(r_t^2 + delta m_t)``, ``m`` the tick EWMA of ``r^2`` started at ``r_0^2``;
    triples ``(z_t, y_{t-1}, y_t)`` with ``z_t`` the mean of the ``lags`` proxies before
    ``y_{t-1}``, weights ``d**age``, ``d = 2**(-1/half_life)``; ``phi = C_zy / C_zx``.
    """
    r = np.asarray(returns, dtype=float)
    y = log_variance_proxies(r, half_life_buckets, floor_fraction)
    n, k = len(y), lags
    z = np.mean([y[k + 1 - j : n - j] for j in range(2, k + 2)], axis=0)
    x, yy = y[k : n - 1], y[k + 1 :]
    decay = 2.0 ** (-1.0 / half_life_buckets)
    w = decay ** np.arange(len(yy))[::-1]
    cov = np.cov(np.vstack([z, x, yy]), aweights=w, bias=True)
    phi = cov[0, 2] / cov[0, 1]
    var_h = cov[0, 1] * k / sum(phi**j for j in range(1, k + 1))
    wl = decay ** np.arange(n - 1)[::-1]
    lev = np.cov(np.vstack([r[:-1], np.diff(y)]), aweights=wl, bias=True)
    offset = stats.chi2(1).expect(lambda u: np.log(u + floor_fraction))
    return SvFit(
        phi=float(phi),
        mu=float(np.average(yy, weights=w) - offset),
        xi=math.sqrt(var_h * (1.0 - phi * phi)),
        leverage=float(lev[0, 1] / (math.sqrt(lev[0, 0]) * math.sqrt(2 * var_h * (1 - phi)))),
    )


def recovery_fails(z: Mapping[str, float]) -> bool:
    """The recovery part's FAIL rule: some estimate more than ``Z_MAX`` sampling sds from
    its truth (``z``: (estimate - truth) / sd per field).

    >>> recovery_fails({"phi": 1.0, "mu": -4.5}), recovery_fails({"phi": 3.9})
    (True, False)
    """
    return max(abs(v) for v in z.values()) > Z_MAX


def _batch(r: np.ndarray) -> SvFit:
    return batch_sv_fit(r, CONFIG.half_life_buckets, CONFIG.floor_fraction, CONFIG.instrument_lags)


def run_stochastic_vol(candidate: Candidate, seed: int) -> CheckResult:
    timer = Timer()
    rng = np.random.default_rng(seed)
    r = simulate_sv_returns(N_PATH, PHI, XI, RHO, rng)
    try:
        fit = call_candidate(candidate, r, CONFIG)
    except CandidateError as exc:
        return fail_result(NAME, seed, "candidate raised", FALSE_ALARM_RATE, timer, error=str(exc))
    got = {f: getattr(fit, f) for f in FIELDS}
    if not all(isinstance(v, float | int) and math.isfinite(v) for v in got.values()):
        return fail_result(NAME, seed, "estimate missing", FALSE_ALARM_RATE, timer, fit=str(got))
    batch = _batch(r)
    reps = [_batch(simulate_sv_returns(N_PATH, PHI, XI, RHO, rng)) for _ in range(N_SD_PATHS)]
    sd = {f: float(np.std([getattr(b, f) for b in reps], ddof=1)) for f in FIELDS}
    truth = true_sv_fit(PHI, XI, RHO, CONFIG.floor_fraction)
    rel = {f: abs(got[f] - getattr(batch, f)) / abs(getattr(batch, f)) for f in FIELDS}
    z = {f: (got[f] - getattr(truth, f)) / sd[f] for f in FIELDS}
    exact_ok = max(rel.values()) <= EXACT_RTOL
    worst_z = max(abs(v) for v in z.values())
    return CheckResult(
        name=NAME,
        status=Status.PASS if exact_ok and not recovery_fails(z) else Status.FAIL,
        statistic=worst_z,
        threshold=Z_MAX,
        details={
            "statistic_name": "max |estimate - truth| / sampling sd over phi, mu, xi, leverage "
            f"(FAIL when > {Z_MAX}, or when any estimate differs from the batch formulas by "
            f"more than {EXACT_RTOL:g} relative)",
            "estimates": got,
            "truth": {f: getattr(truth, f) for f in FIELDS},
            "sampling_sd": sd,
            "z": z,
            "relative_error_vs_batch": rel,
            "n_buckets": N_PATH,
            "half_life_buckets": CONFIG.half_life_buckets,
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=FALSE_ALARM_RATE,
    )


CHECKS = [
    CheckSpec(
        name=NAME,
        family="stochastic_vol",
        run=run_stochastic_vol,
        uses_mcmc=False,
        false_alarm_rate=FALSE_ALARM_RATE,
        description="log-variance AR(1) (phi, mu, xi, leverage) on a simulated SV path: equal "
        "to the batch formulas (1e-8 rel) and within 4 sampling sds of the truth",
    ),
]
