"""Real-data audit of the online jump classifier on S&P 500 daily log returns.

Data: ``arch.data.sp500.load()`` (daily prices 1999-2018); returns r_t = ln(A_t / A_{t-1}) of
the "Adj Close" column A (the first, undefined, return dropped), optionally restricted to the
days whose calendar year lies in ``years = (first, last)`` (both inclusive; a year's first
return uses the previous year's last close).

``"realdata.sp500_jumps_vs_mcmc"`` compares, on these returns, the production candidate
(:func:`validation.candidates.jumps.soft_jumps`, online EM with step 0.01) with the PyMC
two-scale mixture ``reference_models.jump_mixture`` (default priors), exactly as the synthetic
``"agreement.jumps_mcmc"`` check does: the candidate is run on that check's ``ROTATIONS``
cyclic rotations of the returns and its rotation-averaged log parameters and per-day
P(jump) ``p_bar`` are compared with the posterior mean of each log parameter and with the
membership probabilities E[z_t | data]. Verdict statistic: the maximum over

- ``|mean_k log theta_k - E[log theta | data]| / (Z * MCSE + APPROX_TOL[theta] * sd)`` for
  theta in (pi, sigma_d, sigma_j) (sd = posterior sd of log theta), and
- ``max_t |p_bar[t] - m_t| / APPROX_TOL_P``,

with ``Z``, ``APPROX_TOL``, ``APPROX_TOL_P``, ``ALPHA`` and the sampler settings imported from
:mod:`validation.agreement.jumps_mcmc` (measured there on synthetic mixtures). PASS when the
statistic is <= 1, FAIL otherwise, INCONCLUSIVE when the fit fails the convergence gate.

Real daily returns have volatility clustering, so the constant-variance mixture is
misspecified: the online EM (memory ~1/step = 100 days) tracks the local volatility regime
while the MCMC posterior describes the whole span. A FAIL here measures that misspecification
(a disagreement between two fits of a wrong model), not necessarily a bug; the details hold
the numbers to judge it. The nominal false-alarm rate ``ALPHA`` holds only for data from the
mixture itself. The check is therefore of kind ADEQUACY; its size is the verdict statistic
(the largest discrepancy in tolerances), and the estimator's gate is the synthetic
``"agreement.jumps_mcmc"`` check, where the mixture is the true model. The result records the
data file ``arch`` ships (name, bytes, sha256).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from validation.agreement._common import CandidateError, Timer, call_candidate, fail_result
from validation.agreement._reference import mcmc_seed, reference_model
from validation.agreement.jumps_mcmc import (
    ALPHA,
    APPROX_TOL,
    APPROX_TOL_P,
    PARAMS,
    ROTATIONS,
    Reference,
    RotationAverage,
    Z,
    _sampler_settings,
    discrepancies,
    reference_from_fit,
    rotation_average,
)
from validation.candidates.jumps import soft_jumps
from validation.families import Candidate
from validation.results import CheckResult, DataFile, Kind, Status

if TYPE_CHECKING:
    from reference_models.sampling import SamplerSettings

NAME = "realdata.sp500_jumps_vs_mcmc"
FLAG_LEVEL = 0.5
"""A day is flagged as a jump when its P(jump) exceeds this."""
TOP_DAYS = 10
"""How many days the details list, by MCMC membership and by |p_bar - membership|."""
INTERVAL = 0.95
"""Level of the reported equal-tailed posterior interval."""


def sp500_data_file() -> DataFile:
    """The S&P 500 price file read by ``arch.data.sp500.load()``."""
    from arch.data import sp500

    return DataFile.of(Path(sp500.__file__).with_name("sp500.csv.gz"))


def _size_summary(ratios: dict[str, float], params: dict[str, dict], dp: float) -> str:
    """One clause per discrepancy beyond its tolerance (the largest one if none is)."""
    over = [k for k, v in ratios.items() if v > 1.0] or [max(ratios, key=ratios.get)]
    parts = []
    for k in over:
        if k == "max_abs_dp":
            parts.append(
                f"max per-day |P(jump) online - E[z | data]| {dp:.3g} vs tolerance "
                f"{APPROX_TOL_P:.3g} ({ratios[k]:.2f} x)"
            )
        else:
            row = params[k]
            parts.append(
                f"{k} online {row['online']:.4g} vs posterior {row['posterior_mean']:.4g} "
                f"+- {row['posterior_sd']:.2g} ({ratios[k]:.2f} x tolerance)"
            )
    return "; ".join(parts)


def sp500_log_returns(years: tuple[int, int] | None = None) -> pd.Series:
    """Daily log returns of the S&P 500 "Adj Close" (dimensionless), indexed by date.

    Raises:
        ValueError: if ``years`` is not ordered or selects no return.
    """
    from arch.data import sp500

    close = sp500.load()["Adj Close"].astype(float)
    returns = np.log(close).diff().iloc[1:]
    if years is not None:
        first, last = years
        if first > last:
            raise ValueError(f"years={years}: first year after last")
        year = returns.index.year
        returns = returns[(year >= first) & (year <= last)]
        if returns.empty:
            raise ValueError(f"years={years}: no S&P 500 return in that span")
    return returns


@dataclass(frozen=True)
class _Fit:
    """One MCMC fit's reference quantities plus natural-scale posterior summaries."""

    reference: Reference
    summaries: dict[str, dict[str, float]]


@functools.lru_cache(maxsize=4)
def _mcmc(seed: int, years: tuple[int, int] | None, settings: SamplerSettings) -> _Fit:
    """Fit the mixture to the returns of ``years`` (memoised per process)."""
    from validation.agreement.reference_fits import fit

    returns = sp500_log_returns(years).to_numpy()
    result = fit(
        reference_model("jump_mixture"),
        {"returns": returns},
        seed=mcmc_seed(seed),
        settings=settings,
    )
    post = result.idata.posterior
    values = {k: np.asarray(post[k].values, dtype=float) for k in PARAMS}
    tail = (1.0 - INTERVAL) / 2.0
    summaries = {
        k: {
            "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)),
            "interval": [float(x) for x in np.quantile(v, [tail, 1.0 - tail])],
        }
        for k, v in values.items()
    }
    ref = reference_from_fit(
        result, returns, draws=settings.draws, tune=settings.tune, chains=settings.chains
    )
    return _Fit(ref, summaries)


def _parameter_rows(avg: RotationAverage, fit: _Fit, disc: dict[str, float]) -> dict:
    """Per parameter: online value (geometric mean over rotations), posterior summaries,
    natural-scale z = (online - mean) / sd, log-scale z and the check's tolerance."""
    ref, rows = fit.reference, {}
    for k in PARAMS:
        online = float(np.exp(avg.log_params[k]))
        s = fit.summaries[k]
        rows[k] = {
            "online": online,
            "online_per_rotation_range": [
                float(np.exp(min(r[k] for r in avg.per_rotation))),
                float(np.exp(max(r[k] for r in avg.per_rotation))),
            ],
            "posterior_mean": s["mean"],
            "posterior_sd": s["sd"],
            "posterior_interval_95": s["interval"],
            "z_posterior_sds": (online - s["mean"]) / s["sd"],
            "online_log_mean": avg.log_params[k],
            "posterior_log_mean": ref.log_mean[k],
            "posterior_log_sd": ref.log_sd[k],
            "mcse": ref.log_mcse[k],
            "standardised_log": disc[k],
            "tolerance_log": Z * ref.log_mcse[k] + APPROX_TOL[k] * ref.log_sd[k],
        }
    return rows


def _day_rows(idx: np.ndarray, dates, returns, p_bar, p_single, membership) -> list[dict]:
    return [
        {
            "date": str(dates[i].date()),
            "return": float(returns[i]),
            "mcmc_membership": float(membership[i]),
            "online_p_jump": float(p_bar[i]),
            "online_p_jump_single_pass": float(p_single[i]),
        }
        for i in idx
    ]


def _p_jump_summary(dates, returns, p_bar, p_single, membership) -> dict[str, Any]:
    """Per-day agreement numbers and the top days (see module docstring)."""
    dp = np.abs(p_bar - membership)
    flag_online, flag_mcmc = p_bar > FLAG_LEVEL, membership > FLAG_LEVEL
    top = np.argsort(-membership, kind="stable")[:TOP_DAYS]
    worst = np.argsort(-dp, kind="stable")[:TOP_DAYS]
    corr = (
        float(np.corrcoef(p_bar, membership)[0, 1])
        if np.std(p_bar) > 0 and np.std(membership) > 0
        else float("nan")
    )
    by_year = pd.DataFrame(
        {"online": p_bar, "mcmc": membership, "abs_diff": dp}, index=pd.DatetimeIndex(dates)
    ).groupby(lambda d: d.year)
    return {
        "max_abs_dp": float(dp.max()),
        "mean_abs_dp": float(dp.mean()),
        "correlation": corr,
        "flag_level": FLAG_LEVEL,
        "days_flagged_online": int(flag_online.sum()),
        "days_flagged_mcmc": int(flag_mcmc.sum()),
        "days_flagged_both": int((flag_online & flag_mcmc).sum()),
        "mean_p_jump_online": float(p_bar.mean()),
        "mean_p_jump_mcmc": float(membership.mean()),
        "top_days_by_mcmc": _day_rows(top, dates, returns, p_bar, p_single, membership),
        "top_days_by_abs_diff": _day_rows(worst, dates, returns, p_bar, p_single, membership),
        "by_year": {
            int(y): {
                "mean_p_jump_online": float(g["online"].mean()),
                "mean_p_jump_mcmc": float(g["mcmc"].mean()),
                "max_abs_dp": float(g["abs_diff"].max()),
            }
            for y, g in by_year
        },
    }


def audit_sp500_jumps(
    *,
    seed: int,
    years: tuple[int, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    candidate: Candidate = soft_jumps,
    settings: SamplerSettings | None = None,
) -> list[CheckResult]:
    """``"realdata.sp500_jumps_vs_mcmc"`` (see module docstring), as a one-element list.

    Args:
        seed: MCMC seed source (``validation.agreement._reference.mcmc_seed(seed)``).
        years: inclusive (first, last) calendar years; None = the whole 1999-2018 span.
        progress: called with (step, 2) after the candidate runs and after the MCMC fit.
        candidate: ``(returns) -> JumpFit``; the production :func:`soft_jumps` by default.
        settings: ``reference_models.sampling.SamplerSettings``; default the synthetic
            check's (2 chains x 1000 draws, 1000 tuning steps).
    """
    timer = Timer()
    settings = _sampler_settings() if settings is None else settings
    series = sp500_log_returns(years)
    returns, dates = series.to_numpy(), series.index
    span = [int(dates[0].year), int(dates[-1].year)]
    try:
        avg = rotation_average(candidate, returns)
        single = call_candidate(candidate, returns)
    except CandidateError as exc:
        return [fail_result(NAME, seed, "candidate raised", ALPHA, timer, error=str(exc))]
    if isinstance(avg, str):
        return [fail_result(NAME, seed, avg, ALPHA, timer)]
    if progress is not None:
        progress(1, 2)
    fit = _mcmc(seed, years, settings)
    if progress is not None:
        progress(2, 2)
    ref = fit.reference
    disc = discrepancies(avg, ref)
    params = _parameter_rows(avg, fit, disc)
    ratios = {
        k: abs(avg.log_params[k] - ref.log_mean[k]) / params[k]["tolerance_log"] for k in PARAMS
    }
    ratios["max_abs_dp"] = disc["max_abs_dp"] / APPROX_TOL_P
    statistic = max(ratios.values())
    if not ref.usable:
        status = Status.INCONCLUSIVE
    else:
        status = Status.PASS if statistic <= 1.0 else Status.FAIL
    p_single = np.asarray(single.p_jump, dtype=float)
    return [
        CheckResult(
            name=NAME,
            status=status,
            statistic=float(statistic),
            threshold=1.0,
            kind=Kind.ADEQUACY,
            size=float(statistic),
            data_files=[sp500_data_file()],
            details={
                "statistic_name": "max over statistics of |online - mcmc| / tolerance",
                "size_name": "the statistic: max over statistics of |online - mcmc| / tolerance",
                "size_summary": _size_summary(ratios, params, disc["max_abs_dp"]),
                "ratios": ratios,
                "parameters": params,
                "online_single_pass": {
                    "pi": float(single.pi),
                    "sigma_d": float(single.sigma_d),
                    "sigma_j": float(single.sigma_j),
                },
                "p_jump": _p_jump_summary(dates, returns, avg.p_bar, p_single, ref.membership),
                "max_abs_dp_tolerance": APPROX_TOL_P,
                "approx_tol_posterior_sds": dict(APPROX_TOL),
                "z": Z,
                "rotations": ROTATIONS,
                "n": int(returns.size),
                "years": span,
                "first_date": str(dates[0].date()),
                "last_date": str(dates[-1].date()),
                "mcmc": ref.mcmc,
                "caveat": "constant-variance mixture on volatility-clustered returns: "
                "misspecified; a FAIL measures misspecification, not necessarily a bug",
            },
            seed=seed,
            seconds=timer.seconds,
            false_alarm_rate=ALPHA,
        )
    ]
