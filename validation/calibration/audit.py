"""Measured false-alarm rates of the SBC checks on the correct candidates.

A check run on a correct candidate over seeds seed0 .. seed0 + n - 1 gives independent
Bernoulli(false-alarm rate) outcomes; the rate is reported with its exact Clopper-Pearson 95%
interval (:mod:`validation.failure_rate`; INCONCLUSIVE runs are counted separately and left
out of the denominator). Measuring at a large alpha (0.05) as well as at the default shows
that the test's level is right where it can be seen with a few hundred seeds; at alpha =
0.001 a few hundred seeds can only bound it.

Measured (the commands below; 2-core machine shared with other jobs):

- "sbc.kappa_pit": 6/200 FAIL at alpha = 0.05 (3.0%, 95% CI 1.1-6.4%); 0/100 at the default
  alpha = 0.001 (CI 0-3.6%).
- "sbc.hierarchical_pinned_pit": 4/200 at alpha = 0.05 (2.0%, CI 0.5-5.0%); 0/100 at 0.001.
- "sbc.hierarchical_plugin_coverage": 0/100 FAIL, 0/100 INCONCLUSIVE at the defaults.

Below nominal at 0.05, as a Bonferroni combination of correlated tests should be. Reproduce
(about 17 and 10 minutes) in Python::

    from validation.calibration.audit import exact_pit_audit, plugin_audit
    for row in exact_pit_audit(200, (0.05,)) + exact_pit_audit(100, (0.001,)):
        print(row)
    print(plugin_audit(100))

or ``python -m pytest tests/test_calibration_sbc.py -m audit``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from validation.calibration._sbc import Progress
from validation.calibration.sbc_exact import (
    ExactSbcSettings,
    run_hierarchical_pinned_pit,
    run_kappa_pit,
)
from validation.calibration.sbc_plugin import PluginSbcSettings, run_hierarchical_plugin_coverage
from validation.candidates.kappa import conjugate_kappa, hierarchical_kappa
from validation.failure_rate import SeedFailureRate, measure_failure_rate
from validation.families import Candidate
from validation.results import CheckResult

AUDIT_SEED0 = 1_000_000
"""First audit seed (away from the small seeds the tests use)."""


@dataclass(frozen=True, kw_only=True)
class FalseAlarmAudit(SeedFailureRate):
    """The FAIL rate of one check at one level ``alpha`` (:mod:`validation.failure_rate`)."""

    alpha: float


def measure_false_alarm_rate(
    run: Callable[[Candidate, int], CheckResult],
    candidate: Candidate,
    alpha: float,
    n_seeds: int,
    seed0: int = AUDIT_SEED0,
    progress: Progress | None = None,
) -> FalseAlarmAudit:
    """Run ``run(candidate, seed)`` for n_seeds seeds and measure its FAIL rate."""
    measured = measure_failure_rate(run, candidate, n_seeds, seed0, progress)
    return FalseAlarmAudit(**dataclasses.asdict(measured), alpha=alpha)


def exact_pit_audit(
    n_seeds: int = 200,
    alphas: Sequence[float] = (0.05, ExactSbcSettings().alpha),
    seed0: int = AUDIT_SEED0,
    progress: Progress | None = None,
) -> list[FalseAlarmAudit]:
    """False-alarm rates of "sbc.kappa_pit" and "sbc.hierarchical_pinned_pit" on the
    production candidates, at each level in ``alphas`` (default settings otherwise)."""
    out = []
    for runner, candidate in (
        (run_kappa_pit, conjugate_kappa),
        (run_hierarchical_pinned_pit, hierarchical_kappa),
    ):
        for alpha in alphas:
            settings = dataclasses.replace(ExactSbcSettings(), alpha=alpha)

            def run(c: Candidate, seed: int, r=runner, s=settings) -> CheckResult:
                return r(c, seed, settings=s)

            out.append(measure_false_alarm_rate(run, candidate, alpha, n_seeds, seed0, progress))
    return out


def plugin_audit(
    n_seeds: int = 100,
    seed0: int = AUDIT_SEED0,
    settings: PluginSbcSettings | None = None,
    progress: Progress | None = None,
) -> FalseAlarmAudit:
    """False-alarm rate of "sbc.hierarchical_plugin_coverage" on the production candidate."""
    s = settings if settings is not None else PluginSbcSettings()

    def run(c: Candidate, seed: int) -> CheckResult:
        return run_hierarchical_plugin_coverage(c, seed, settings=s)

    return measure_false_alarm_rate(run, hierarchical_kappa, s.alpha, n_seeds, seed0, progress)
