"""Pieces shared by the SBC runners: replication sizes, verdicts, candidate calls."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from validation.calibration.coverage import CoverageTable, coverage_table
from validation.calibration.uniformity import uniformity_test
from validation.results import CheckResult, Status

Progress = Callable[[int, int], None]

CANDIDATE_ERRORS = (ValueError, ArithmeticError)
"""A candidate that raises one of these on valid scenario data fails the check."""


def log_uniform_int(rng: np.random.Generator, low: int, high: int) -> int:
    """An integer in [low, high] whose log is uniform: floor(exp(U(log low, log(high + 1))))."""
    x = math.floor(math.exp(rng.uniform(math.log(low), math.log(high + 1))))
    return min(max(x, low), high)


def candidate_error_result(
    name: str, exc: Exception, seed: int, seconds: float, false_alarm_rate: float
) -> CheckResult:
    """FAIL: the candidate could not produce a posterior for valid scenario data."""
    return CheckResult(
        name=name,
        status=Status.FAIL,
        statistic=math.inf,
        threshold=1.0,
        details={"candidate_error": f"{type(exc).__name__}: {exc}"},
        seed=seed,
        seconds=seconds,
        false_alarm_rate=false_alarm_rate,
    )


def exact_pit_result(
    name: str,
    pit: np.ndarray,
    indicators: dict[str, np.ndarray],
    alpha: float,
    seed: int,
    seconds: float,
    extra: dict[str, Any],
) -> CheckResult:
    """Verdict of an exact-PIT SBC: uniformity at alpha/2 plus coverage rows at alpha/2.

    The uniformity test (ECDF band at alpha/4, chi-square at alpha/4) and the coverage table
    (alpha/2 shared equally by its rows, Bonferroni) together fail a calibrated posterior with
    probability at most about alpha (Bonferroni; the audit measures it).
    statistic = max(uniformity statistic, largest coverage excursion); FAIL exactly when it
    exceeds 1.
    """
    uni = uniformity_test(pit, alpha / 2.0)
    n_rows = sum(np.asarray(v).shape[0] for v in indicators.values())
    rows = coverage_table(indicators, alpha / 2.0 / n_rows)
    cov_stat = max(r.excursion for r in rows)
    failed = uni.rejected or any(r.outside_band for r in rows)
    details = {
        "statistic_name": "max(ECDF band excursion, chi2 / critical, coverage excursion); "
        "FAIL when > 1",
        "n_replications": int(np.asarray(pit).size),
        "alpha": alpha,
        "pit": np.asarray(pit, dtype=float).tolist(),
        "uniformity": uni,
        "coverage": CoverageTable(tuple(rows)),
        **extra,
    }
    return CheckResult(
        name=name,
        status=Status.FAIL if failed else Status.PASS,
        statistic=max(uni.statistic, cov_stat),
        threshold=1.0,
        details=details,
        seed=seed,
        seconds=seconds,
        false_alarm_rate=alpha,
    )
