"""Measured failure rates: run a check on one candidate over many consecutive seeds.

On a correct candidate the FAIL fraction is the check's measured false-alarm rate; on a
known-bad candidate it is the detection rate; both are measured by
:func:`validation.failure_rate.measure_failure_rate` (95% Clopper-Pearson interval,
INCONCLUSIVE runs counted separately and left out of the denominator).

Command for the numbers quoted in the report (cheap checks; MCMC checks take minutes)::

    python -m validation.agreement.audit            # all cheap checks, 200 seeds each
    python -m validation.agreement.audit --mcmc 30  # also the MCMC checks, 30 seeds each
"""

from __future__ import annotations

import argparse

from validation.failure_rate import measure_failure_rate


def _cheap_runs():
    from validation.agreement import exact, intensity, jumps
    from validation.candidates.covariance import parameter_covariance
    from validation.candidates.ewma import hybrid_ewma
    from validation.candidates.intensity import volume_clock_intensity
    from validation.candidates.jumps import soft_jumps

    specs = {s.name: s for s in (*exact.CHECKS, *jumps.CHECKS, *intensity.CHECKS)}
    return [
        (specs["exact.ewma_weights"], hybrid_ewma, 10_000),
        (specs["exact.ewma_fixed_point"], hybrid_ewma, 10_000),
        (specs["exact.covariance_weights"], parameter_covariance, 10_000),
        (specs["exact.jump_probability"], soft_jumps, 30_000),
        (specs["recovery.jump_parameters"], soft_jumps, 20_000),
        (specs["recovery.arrival_intensity"], volume_clock_intensity, 50_000),
    ]


def _mcmc_runs():
    from validation.agreement import jumps_mcmc, kappa
    from validation.candidates.jumps import soft_jumps
    from validation.candidates.kappa import conjugate_kappa, hierarchical_kappa

    specs = {s.name: s for s in (*kappa.CHECKS, *jumps_mcmc.CHECKS)}
    return [
        (specs["agreement.kappa_mcmc"], conjugate_kappa, 90_000),
        (specs["agreement.hierarchical_pinned_mcmc"], hierarchical_kappa, 90_000),
        (specs["agreement.jumps_mcmc"], soft_jumps, 90_000),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measured false-alarm rates of the checks.")
    parser.add_argument("--seeds", type=int, default=200, help="seeds per cheap check")
    parser.add_argument("--mcmc", type=int, default=0, help="seeds per MCMC check (0: skip)")
    args = parser.parse_args(argv)
    runs = [(s, c, s0, args.seeds) for s, c, s0 in _cheap_runs()]
    if args.mcmc:
        runs += [(s, c, s0, args.mcmc) for s, c, s0 in _mcmc_runs()]
    for spec, candidate, seed0, n in runs:
        m = measure_failure_rate(spec.run, candidate, n_seeds=n, seed0=seed0)
        print(
            f"{m.check:38s} {m.candidate:22s} seeds {m.seed0}..{m.seed0 + n - 1}: "
            f"{m.failures}/{m.decided} failed (inconclusive {m.inconclusive}), "
            f"rate {m.rate:.4f} [95% CI {m.ci_low:.4f}, {m.ci_high:.4f}], "
            f"max statistic {m.max_statistic:.3g} vs threshold {m.threshold:.3g}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
