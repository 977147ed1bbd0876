"""Command line: ``python -m validation audit|check|list|sbc|shadow|baseline``.

Checks are of two kinds (``validation.results.Kind``): *gate* checks (the estimator computes
what its model says) and *adequacy* checks (the model describes the data; their failures are
findings with a size). Exit status of ``audit`` and ``check``:

- 0: no gate check failed and every adequacy failure is accepted by ``--baseline FILE`` at
  the same or a smaller size (without ``--baseline``: no check failed);
- 1: a gate check failed, or an adequacy finding is new (not in the baseline, or accepted on
  other data) or has grown beyond its accepted size; for ``--suite full`` also when a
  catalogue entry is detected below its target rate or the measured suite false-alarm rate
  exceeds 1%;
- 2: none of the above, but a check of either kind was inconclusive (e.g. an MCMC fit failed
  its convergence gate);
- 64: usage errors (including an unreadable or invalid baseline file): every usage, path or
  input error (unknown option, a negative seed, an ``--out`` that cannot be written, a
  missing ``--data`` directory, a damaged archive) exits 64 with a one-line message and no
  traceback; arguments and paths are checked before any check runs
  (:mod:`validation.cli_args`).

``audit`` and ``check`` take ``--candidate FAMILY=package.module:function`` (repeatable, one
per family): the checks of that family run on the user's function, the others on the
production estimators, and the report records each check's candidate. The catalogue power and
false-alarm measurements of ``--suite full`` always run on the production candidates.

``baseline --from REPORT --reason TEXT`` writes the accepted findings of an audit's
``report.json`` to a baseline file (``validation.baseline_cli``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from validation import baseline_cli, suite
from validation.baseline import Baseline, BaselineError, load_baseline
from validation.candidate_spec import CandidateSpec, CandidateSpecError, candidates_from_specs
from validation.cli_args import (
    USAGE_ERROR,
    Parser,
    UsageError,
    candidate,
    existing_dir,
    output_dir,
    positive_int,
    seed,
)
from validation.cli_warnings import known_third_party_warnings_silenced
from validation.families import Candidate
from validation.shadow import cli as shadow_cli
from validation.verdict import FindingStatus, Verdict, classify

MAX_SUITE_FALSE_ALARM_RATE = 0.01


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _add_candidate_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--candidate",
        type=candidate,
        action="append",
        default=[],
        metavar="FAMILY=MODULE:FUNCTION",
        help="run the checks of FAMILY on this function instead of the production estimator "
        "(repeatable, one per family; signatures in validation/families.py)",
    )


def _candidates(specs: list[CandidateSpec]) -> dict[str, Candidate | None]:
    """Production candidates with the user's ``--candidate`` overlays (usage error: exit 64)."""
    try:
        return candidates_from_specs(specs)
    except CandidateSpecError as exc:
        raise UsageError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m validation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    audit = sub.add_parser("audit", help="run a suite and write report.json + report.md")
    audit.add_argument("--suite", choices=suite.SUITES, default="quick")
    audit.add_argument("--out", type=output_dir, required=True, help="output directory")
    audit.add_argument("--seed", type=seed, default=0, help="base seed (default 0)")
    audit.add_argument(
        "--power-seeds",
        type=positive_int,
        default=100,
        help="seeds per catalogue entry and for the false-alarm rate (full suite)",
    )
    audit.add_argument(
        "--coverage",
        action="store_true",
        help="measure the line coverage of online/ by the suite's checks (run-time statements "
        "only) and put it in the report",
    )
    audit.add_argument(
        "--data",
        type=existing_dir,
        default=None,
        help="directory of LOBSTER zip archives: adds the real-data market-kappa, L2 and "
        "prequential audits",
    )
    audit.add_argument(
        "--fit-cache",
        type=output_dir,
        default=None,
        help="directory for cached reference fits: re-running an unchanged audit does no MCMC",
    )
    audit.add_argument(
        "--sp500",
        action="store_true",
        help="adds the S&P 500 daily-return jump audit (online classifier vs PyMC mixture)",
    )
    audit.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="baseline TOML of accepted adequacy findings (see `baseline`): exit 0 when every "
        "failure is an accepted finding of the same or smaller size",
    )
    audit.add_argument(
        "--include-mcmc-power",
        action="store_true",
        help="also measure power of catalogue entries caught by MCMC checks (slow)",
    )
    _add_candidate_option(audit)

    check = sub.add_parser(
        "check", help="run one check on the production estimator (or on a --candidate)"
    )
    check.add_argument("name", help="check name (see `list`)")
    check.add_argument("--seed", type=seed, default=0)
    _add_candidate_option(check)

    sub.add_parser("list", help="list the checks and the catalogue entries")
    # validation.calibration imports ArviZ: imported here, inside main's warning filters
    from validation.calibration import cli as sbc_cli

    sbc_cli.add_parser(sub)
    shadow_cli.add_parser(sub)
    baseline_cli.add_parser(sub)
    return parser


def _cmd_list() -> int:
    from validation.catalogue import CATALOGUE

    print("checks:")
    for spec in suite.all_checks():
        mcmc = " [mcmc]" if spec.uses_mcmc else ""
        only = " [full suite]" if spec.suite != "quick" else ""
        print(
            f"  {spec.name:<40} {spec.family:<13} alpha={spec.false_alarm_rate:<8.3g}{mcmc}{only}"
        )
        print(f"      {spec.description}")
    print("known-bug catalogue:")
    for entry in CATALOGUE:
        print(f"  {entry.name:<40} caught by {entry.caught_by}")
    return 0


def _cmd_check(name: str, seed: int, user_candidates: list[CandidateSpec]) -> int:
    specs = suite.checks_by_name()
    if name not in specs:
        raise UsageError(f"unknown check {name!r}; known: {', '.join(sorted(specs))}")
    candidates = _candidates(user_candidates)
    run = suite.run_checks([specs[name]], seed, candidates=candidates, progress=_progress)
    result = run.results[0]
    print(
        f"{result.name}: {result.status.value} statistic={result.statistic:.6g} "
        f"threshold={result.threshold:.6g} candidate={result.candidate}"
    )
    return run.exit_code


def _load_baseline(path: Path | None) -> Baseline | int | None:
    """The baseline at ``path`` (None without one), or 64 after printing why it is unusable."""
    if path is None:
        return None
    try:
        return load_baseline(path)
    except (OSError, BaselineError) as exc:
        print(f"--baseline {path}: {exc}", file=sys.stderr)
        return 64


def _print_verdict(suite_name: str, verdict: Verdict, seconds: float) -> None:
    g, a = verdict.gate, verdict.adequacy
    found = {s: len(verdict.of_status(s)) for s in FindingStatus}
    print(
        f"{suite_name} audit: gate checks {g['pass']} passed, {g['fail']} failed, "
        f"{g['inconclusive']} inconclusive; adequacy checks {a['pass']} passed, {a['fail']} "
        f"failed ({found[FindingStatus.ACCEPTED]} accepted, {found[FindingStatus.NEW]} new, "
        f"{found[FindingStatus.GROWN]} grown), {a['inconclusive']} inconclusive "
        f"in {seconds:.1f} s"
    )
    for name in verdict.gate_failures:
        print(f"  gate check failed: {name}")
    for f in verdict.findings:
        if f.status is not FindingStatus.ACCEPTED:
            print(
                f"  {f.status.value} finding: {f.check} (size {f.size}, accepted {f.accepted_size})"
            )


def _cmd_audit(args: argparse.Namespace) -> int:
    from validation.report.writer import write_report

    started = time.time()
    candidates = _candidates(args.candidate)
    baseline = _load_baseline(args.baseline)
    if isinstance(baseline, int):
        return baseline
    if args.fit_cache is not None:
        from validation.agreement.reference_fits import set_fit_cache_dir

        set_fit_cache_dir(args.fit_cache)
    tracer = None
    if args.coverage:
        from validation.report.coverage import OnlineCoverage

        tracer = OnlineCoverage()
    with tracer if tracer is not None else contextlib.nullcontext():
        run = suite.run_checks(
            suite.suite_checks(args.suite), args.seed, candidates=candidates, progress=_progress
        )
    if args.data is not None:
        from validation.realdata import audit_l2_kappa, audit_market_kappa

        _progress(f"real-data market-kappa audit on {args.data}")
        t0 = time.perf_counter()
        run.results += audit_market_kappa(
            args.data,
            seed=args.seed,
            progress=lambda i, n: _progress(f"  real-data window fits {i}/{n}"),
        )
        _progress(f"real-data L2-book kappa audit on {args.data}")
        run.results += audit_l2_kappa(args.data, seed=args.seed, progress=_progress)
        from validation.prequential.realdata import audit_prequential

        _progress(f"real-data prequential audit (PIT, scores, V1 vs V2) on {args.data}")
        run.results += audit_prequential(args.data, seed=args.seed, progress=_progress)
        run.seconds += time.perf_counter() - t0
    if args.sp500:
        from validation.realdata import audit_sp500_jumps

        _progress("real-data S&P 500 jump audit")
        t0 = time.perf_counter()
        run.results += audit_sp500_jumps(seed=args.seed)
        run.seconds += time.perf_counter() - t0
    power = false_alarms = None
    if args.suite == "full":
        from validation.catalogue import CATALOGUE
        from validation.catalogue.power import measure_false_alarms, measure_power

        entries = [
            e
            for e in CATALOGUE
            if args.include_mcmc_power or not suite.checks_by_name()[e.caught_by].uses_mcmc
        ]
        _progress(f"measuring detection power: {len(entries)} entries x {args.power_seeds} seeds")
        power = measure_power(
            entries,
            suite.checks_by_name(),
            n_seeds=args.power_seeds,
            seed0=args.seed,
            progress=lambda i, n: _progress(f"  power {i}/{n}") if i % 50 == 0 or i == n else None,
        )
        quick = [c for c in suite.all_checks() if not c.uses_mcmc]
        _progress(f"measuring false alarms: {len(quick)} checks x {args.power_seeds} seeds")
        false_alarms = measure_false_alarms(
            quick,
            suite.correct_candidates(),
            n_seeds=args.power_seeds,
            seed0=args.seed,
            progress=lambda i, n: _progress(f"  false alarms {i}/{n}") if i % 25 == 0 else None,
        )
    verdict = classify(run.results, baseline)
    paths = write_report(
        args.out,
        suite_name=args.suite,
        seed=args.seed,
        run=run,
        started=started,
        power=power,
        false_alarms=false_alarms,
        verdict=verdict,
        coverage=None if tracer is None else tracer.result(),
        user_candidates=[f"{c.family}={c.label}" for c in args.candidate],
    )
    _print_verdict(args.suite, verdict, run.seconds)
    code = verdict.exit_code
    missed = [row.entry for row in power or [] if not row.meets_target]
    if missed:
        print(f"catalogue entries detected below target: {', '.join(missed)}")
        code = 1
    if false_alarms is not None and false_alarms.rate > MAX_SUITE_FALSE_ALARM_RATE:
        print(
            f"suite false-alarm rate {false_alarms.rate:.3f} exceeds {MAX_SUITE_FALSE_ALARM_RATE}"
        )
        code = 1
    for path in paths:
        print(f"wrote {path}")
    return code


def main(argv: list[str] | None = None) -> int:
    """Run a command; its exit status (verdicts 0/1/2, usage/path/input errors 64)."""
    from validation.data.lobster import LobsterFormatError

    try:
        with known_third_party_warnings_silenced():
            return _dispatch(_parser().parse_args(argv))
    except (UsageError, LobsterFormatError, OSError) as exc:
        print(f"python -m validation: error: {_one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, UsageError) else f"{type(exc).__name__}: {text}"


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        return _cmd_list()
    if args.command == "check":
        return _cmd_check(args.name, args.seed, args.candidate)
    if args.command == "sbc":
        from validation.calibration import cli as sbc_cli

        return sbc_cli.run(args)
    if args.command == "shadow":
        return shadow_cli.run(args)
    if args.command == "baseline":
        return baseline_cli.run(args)
    return _cmd_audit(args)
