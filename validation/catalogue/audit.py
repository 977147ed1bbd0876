"""The catalogue audit: detection power of every entry and the quick suite's false-alarm rate.

Run from the repository root (prints two tables; a few minutes per 100 seeds of cheap checks)::

    python -m validation.catalogue.audit --seeds 100
    python -m validation.catalogue.audit --seeds 20 --mcmc --no-false-alarms  # MCMC checks

Exit status 1 when a power row is below its entry's ``min_detection`` or the false-alarm rate
exceeds ``FALSE_ALARM_BUDGET``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from validation.catalogue import CATALOGUE
from validation.catalogue.entry import BugEntry
from validation.catalogue.power import (
    FalseAlarmResult,
    PowerRow,
    Progress,
    measure_false_alarms,
    measure_power,
)
from validation.families import CheckSpec

POWER_SEED0 = 1_000
"""First seed of the power measurement (seeds POWER_SEED0 .. POWER_SEED0 + n - 1)."""
FALSE_ALARM_SEED0 = 2_000
"""First base seed of the false-alarm measurement."""
FALSE_ALARM_BUDGET = 0.01
"""Largest acceptable fraction of quick-suite runs with any failure on correct candidates."""


MCMC_CROSS_CHECKS: tuple[tuple[str, str], ...] = (
    ("kappa.volume_weighted_counts", "agreement.kappa_mcmc"),
    ("kappa.student_t_uncorrected", "agreement.kappa_mcmc"),
    ("hierarchical.linear_blend", "agreement.hierarchical_pinned_mcmc"),
    ("hierarchical.prior_only_confidence", "agreement.hierarchical_pinned_mcmc"),
    ("jumps.binary_three_sigma", "agreement.jumps_mcmc"),
    ("jumps.design_hard_sigma_update", "agreement.jumps_mcmc"),
)
"""(entry, MCMC check) pairs measured in addition to each entry's own cheap ``caught_by``: how
much power the online-vs-MCMC agreement checks have on the known bugs (reported, not gated)."""


def _checks() -> dict[str, CheckSpec]:
    from validation.suite import checks_by_name

    return checks_by_name()


def entries_for(mcmc: bool, checks: dict[str, CheckSpec]) -> list[BugEntry]:
    """Catalogue entries whose catching check uses MCMC (``mcmc=True``) or does not.

    >>> from validation.suite import checks_by_name
    >>> [e.name for e in entries_for(False, checks_by_name()) if e.family == "ewma"]
    ['ewma.one_second_gaps', 'ewma.design_hybrid_decays_to_zero']
    """
    return [e for e in CATALOGUE if checks[e.caught_by].uses_mcmc is mcmc]


def catalogue_power(
    n_seeds: int = 100,
    seed0: int = POWER_SEED0,
    progress: Progress | None = None,
    family: str | None = None,
    check: str | None = None,
) -> list[PowerRow]:
    """Detection power of the entries whose ``caught_by`` check does not use MCMC (of one
    ``family`` only, or caught by one ``check`` only, when given), over seeds
    seed0 .. seed0 + n_seeds - 1.

    >>> [(r.entry, r.detections) for r in catalogue_power(n_seeds=2, family="ewma")]
    [('ewma.one_second_gaps', 2), ('ewma.design_hybrid_decays_to_zero', 2)]
    """
    checks = _checks()
    entries = [
        e
        for e in entries_for(False, checks)
        if family in (None, e.family) and check in (None, e.caught_by)
    ]
    return measure_power(entries, checks, n_seeds, seed0, progress)


def mcmc_power(
    n_seeds: int = 20, seed0: int = POWER_SEED0, progress: Progress | None = None
) -> list[PowerRow]:
    """Power of the MCMC checks: entries caught by one, plus the ``MCMC_CROSS_CHECKS`` pairs
    (minutes per seed; no runnable example here, see the module docstring's command)."""
    checks = _checks()
    by_name = {e.name: e for e in CATALOGUE}
    cross = [dataclasses.replace(by_name[e], caught_by=c) for e, c in MCMC_CROSS_CHECKS]
    return measure_power(entries_for(True, checks) + cross, checks, n_seeds, seed0, progress)


def quick_false_alarms(
    n_seeds: int = 100,
    seed0: int = FALSE_ALARM_SEED0,
    progress: Progress | None = None,
    family: str | None = None,
    check: str | None = None,
) -> FalseAlarmResult:
    """How often ANY non-MCMC check (of one ``family``, or the one ``check``, when given) fails
    on the correct candidates (the quick suite's gate).

    >>> res = quick_false_alarms(n_seeds=2, family="ewma")
    >>> res.checks, res.any_failed
    (('exact.ewma_weights', 'exact.ewma_fixed_point'), 0)
    """
    from validation.candidates import correct_candidates

    cheap = [
        c
        for c in _checks().values()
        if not c.uses_mcmc and family in (None, c.family) and check in (None, c.name)
    ]
    return measure_false_alarms(cheap, correct_candidates(), n_seeds, seed0, progress)


def power_table(rows: list[PowerRow]) -> str:
    """Plain-text table of power rows; a row below its entry's target is marked.

    >>> row = PowerRow("a.bug", "a.check", 100, 98, 0.98, 0.93, 0.998)
    >>> power_table([row]).splitlines()[-1].endswith("BELOW TARGET")
    True
    """
    head = f"{'entry':44} {'check':34} {'det/n':>8} {'rate':>6} {'95% CI':>15} {'inc':>4} {'s':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ci = f"[{r.ci_low:.3f}, {r.ci_high:.3f}]"
        lines.append(
            f"{r.entry:44} {r.check:34} {r.detections:>4}/{r.n_seeds:<3} {r.rate:6.3f} "
            f"{ci:>15} {r.inconclusive:>4} {r.seconds:7.1f}"
            + ("" if r.meets_target else "   BELOW TARGET")
        )
    return "\n".join(lines)


def false_alarm_table(res: FalseAlarmResult) -> str:
    """Plain-text summary of a false-alarm measurement.

    >>> res = FalseAlarmResult(("a.check",), 100, 1, 0.01, 0.0003, 0.054, 0.005,
    ...                        {"a.check": 1}, {"a.check": 0}, (2042,))
    >>> print(false_alarm_table(res))  # doctest: +NORMALIZE_WHITESPACE
    any check failed on 1/100 seeds: rate 0.010, 95% CI [0.000, 0.054], nominal bound 0.005, 0 s
      a.check                                  fail   1  inconclusive   0
      failed base seeds: [2042]
    """
    lines = [
        f"any check failed on {res.any_failed}/{res.n_seeds} seeds: rate {res.rate:.3f}, "
        f"95% CI [{res.ci_low:.3f}, {res.ci_high:.3f}], nominal bound {res.nominal_bound:.3f}, "
        f"{res.seconds:.0f} s",
    ]
    lines += [
        f"  {name:40} fail {res.failures[name]:>3}  inconclusive {res.inconclusive[name]:>3}"
        for name in res.checks
    ]
    if res.failed_seeds:
        lines.append(f"  failed base seeds: {list(res.failed_seeds)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring): print the power and false-alarm tables; return the
    exit status (0: every row meets its target and the false-alarm rate is within budget).

    >>> main(["--family", "ewma", "--seeds", "2", "--no-false-alarms"])  # doctest: +ELLIPSIS
    entry ...
    ewma.one_second_gaps ... 2/2 ...
    total ... s
    0
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--mcmc", action="store_true", help="power of the MCMC checks instead")
    parser.add_argument("--no-false-alarms", action="store_true")
    parser.add_argument("--no-power", action="store_true", help="false alarms only")
    parser.add_argument("--family", help="only the entries and checks of this family")
    parser.add_argument("--check", help="only this check and the entries it must catch")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    ok = True
    if not args.no_power:
        rows = (
            mcmc_power(args.seeds)
            if args.mcmc
            else catalogue_power(
                args.seeds, family=args.family, check=args.check, progress=_progress
            )
        )
        print(power_table(rows), flush=True)
        ok = all(r.meets_target for r in rows)
    if not args.no_false_alarms:
        res = quick_false_alarms(
            args.seeds, family=args.family, check=args.check, progress=_progress
        )
        print(false_alarm_table(res))
        ok &= res.rate <= FALSE_ALARM_BUDGET
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0 if ok else 1


def _progress(done: int, total: int) -> None:
    if done == total or done % 10 == 0:
        print(f"  {done}/{total}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
