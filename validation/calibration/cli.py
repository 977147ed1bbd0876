"""``python -m validation sbc``: the reference rank SBC on a Dask cluster, resumable.

Runs :func:`validation.calibration.distributed.run_distributed_sbc` (a LocalCluster of
``--workers`` processes, or ``--scheduler tcp://host:port``), prints progress on stderr and a
summary on stdout: the rank histogram (the chi-square bins), the chi-square p-value, the ECDF
band excursion, the verdict and replications per minute. With ``--store DIR`` finished
replications are kept on disk (with their true kappa, data and thinned draws) and a rerun
computes only the missing ones. ``--quantities`` chooses the test quantities ranked
(:mod:`validation.calibration.quantities`; Bonferroni over them) and ``--alpha`` the level.

``--store DIR --recompute [--quantities ...] [--alpha A] [--thin L']`` samples nothing: it
re-derives ranks and verdict from the stored draws (:mod:`validation.calibration.
sbc_recompute`), e.g. a new quantity on an old run, or ranks among L' < L of the stored draws.

``--bad-prior`` gives the model the prior Gamma(5, 5/25000) (mean 10x the simulation prior's
2500): the known-bad case, which the check must FAIL (use a small ``--n-max`` such as 20 so
the prior matters).

Exit status: 0 pass, 1 fail, 2 inconclusive (too many fits failed their convergence gate),
64 usage errors (including a store holding other settings, or a damaged, edited or
unattributable store).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from validation.cli_args import (
    USAGE_ERROR,
    existing_dir,
    non_negative_int,
    output_dir,
    positive_float,
    positive_int,
    seed,
)
from validation.results import CheckResult, Status

if TYPE_CHECKING:
    from validation.calibration.sbc_reference import QuantityRanks, RankSbcSettings

BAD_MODEL_PRIOR = (5.0, 5.0 / 25_000.0)
_EXIT = {Status.PASS: 0, Status.FAIL: 1, Status.INCONCLUSIVE: 2}
_BAR_WIDTH = 40


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``sbc`` subcommand on ``subparsers``."""
    from reference_models.sampling import BACKENDS
    from validation.calibration.quantities import QUANTITIES
    from validation.calibration.sbc_reference import MODEL, RankSbcSettings

    d = RankSbcSettings()
    p = subparsers.add_parser(
        "sbc", help="rank SBC of the gamma_exponential reference model on a Dask cluster"
    )
    p.add_argument(
        "--replications", type=positive_int, default=d.n_replications, help="N replications"
    )
    p.add_argument("--workers", type=positive_int, default=2, help="LocalCluster worker processes")
    p.add_argument("--threads-per-worker", type=positive_int, default=1)
    p.add_argument(
        "--scheduler", default=None, help="address of a running scheduler, e.g. tcp://host:8786"
    )
    p.add_argument("--store", type=output_dir, default=None, help="directory of resumable results")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--backend", choices=BACKENDS, default=d.backend)
    p.add_argument(
        "--n-max", type=positive_int, default=d.n_max, help="most distances per data set"
    )
    p.add_argument("--draws", type=positive_int, default=d.draws, help="NUTS draws per chain")
    p.add_argument(
        "--tune", type=non_negative_int, default=d.tune, help="NUTS tuning steps per chain"
    )
    p.add_argument("--chains", type=positive_int, default=d.chains)
    p.add_argument(
        "--bad-prior",
        action="store_true",
        help="model prior Gamma(5, 5/25000) against simulation prior Gamma(5, 5/2500)",
    )
    p.add_argument(
        "--quantities",
        nargs="+",
        choices=list(QUANTITIES[MODEL]),
        default=None,
        help=f"test quantities ranked (default: {' '.join(d.quantities)}; Bonferroni)",
    )
    p.add_argument(
        "--alpha", type=positive_float, default=None, help=f"test level (default {d.alpha})"
    )
    p.add_argument(
        "--recompute",
        action="store_true",
        help="no sampling: re-derive ranks and verdict from the draws kept in --store",
    )
    p.add_argument(
        "--thin",
        type=positive_int,
        default=None,
        help="with --recompute: rank among this many of the stored thinned draws",
    )


def rank_histogram(part: QuantityRanks, n_ranked: int) -> list[str]:
    """Text histogram of the chi-square bins of one quantity's ranks, one line per bin."""
    if part.uniformity is None:
        return ["(no verdict: too few usable replications)"]
    counts = part.uniformity.chi_square.observed.tolist()
    width = (n_ranked + 1) // len(counts)
    expected = sum(counts) / len(counts)
    top = max(max(counts), 1)
    lines = []
    for i, c in enumerate(counts):
        bar = "#" * round(_BAR_WIDTH * c / top)
        lines.append(f"  ranks {i * width:>4}-{(i + 1) * width - 1:<4} {c:>5} {bar}")
    lines.append(f"  expected per bin under uniformity: {expected:.1f}")
    return lines


def summary(result: CheckResult) -> list[str]:
    """The lines printed after a run or a recomputation: per test quantity its rank
    histogram, chi-square p-value and ECDF band excursion; then the verdict."""
    d = result.details
    lines = [f"{result.name} (seed {result.seed})"]
    for name, part in d["quantities"].items():
        lines.append(f"quantity {name}: {part.description} (level {part.level:.3g})")
        lines += rank_histogram(part, d["n_ranked_draws"])
        uni = part.uniformity
        if uni is not None:
            lines.append(
                f"  chi-square p-value {uni.chi_square.p_value:.4g} (bins "
                f"{len(uni.chi_square.observed)}), ECDF band excursion "
                f"{uni.band.excursion:.3g}, statistic {uni.statistic:.4g} (FAIL when > 1)"
            )
    if "distributed" in d:
        dist = d["distributed"]
        lines.append(
            f"usable {d['n_usable']}/{d['n_replications']}, {dist['from_store']} from store, "
            f"{len(dist['computed'])} computed on {dist['scheduler']}, "
            f"{dist['replications_per_minute']:.1f} replications/minute, {result.seconds:.1f} s"
        )
    else:
        lines.append(
            f"usable {d['n_usable']}/{d['n_replications']}, recomputed from "
            f"{d['recomputed']['store_dir']} without sampling, L = {d['n_ranked_draws']}, "
            f"{result.seconds:.2f} s"
        )
    lines.append(
        f"verdict: {result.status.value.upper()} (statistic {result.statistic:.4g}, alpha "
        f"{d['alpha']}, Bonferroni over {len(d['quantities'])} quantities)"
    )
    return lines


def _recompute(args: argparse.Namespace) -> CheckResult:
    """Usage errors (a ValueError: no --store, bad quantity, alpha or --thin; a refused
    store) are raised before or instead of any result."""
    from validation.calibration.sbc_recompute import recompute

    if args.store is None:
        raise ValueError("--recompute needs --store DIR")
    return recompute(
        existing_dir(str(args.store)),
        quantities=args.quantities,
        alpha=args.alpha,
        n_ranked=args.thin,
    )


def _settings(args: argparse.Namespace) -> RankSbcSettings:
    """The run's settings; ValueError on a usage error."""
    from reference_models.sampling import SamplerSettings
    from validation.calibration.sbc_reference import RankSbcSettings
    from validation.scenarios import GammaPrior

    if args.thin is not None:
        raise ValueError("--thin applies to --recompute only")
    d = RankSbcSettings()
    settings = RankSbcSettings(
        n_replications=args.replications,
        n_max=args.n_max,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        backend=args.backend,
        alpha=d.alpha if args.alpha is None else args.alpha,
        quantities=d.quantities if args.quantities is None else tuple(args.quantities),
        model_prior=GammaPrior(*BAD_MODEL_PRIOR) if args.bad_prior else GammaPrior(),
    )
    SamplerSettings(draws=args.draws, tune=args.tune, chains=args.chains, backend=args.backend)
    if settings.n_replications < 2 or settings.n_max < settings.n_min:
        raise ValueError(f"--replications >= 2 and --n-max >= {settings.n_min} required")
    if not 0.0 < settings.alpha < 1.0:
        raise ValueError(f"--alpha={settings.alpha}: must lie in (0, 1)")
    if args.workers < 1 or args.threads_per_worker < 1:
        raise ValueError("--workers and --threads-per-worker must be >= 1")
    return settings


def run(args: argparse.Namespace) -> int:
    """Run the ``sbc`` subcommand; exit status by verdict (see module doc)."""
    from validation.calibration.distributed import run_distributed_sbc
    from validation.calibration.sbc_store import StoreError

    try:
        if args.recompute:
            result = _recompute(args)
        else:
            settings = _settings(args)
    except (ValueError, argparse.ArgumentTypeError) as exc:  # a StoreError is a ValueError
        print(f"sbc: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if not args.recompute:
        try:
            result = run_distributed_sbc(
                settings,
                seed=args.seed,
                scheduler=args.scheduler,
                n_workers=args.workers,
                threads_per_worker=args.threads_per_worker,
                store_dir=args.store,
                progress=lambda p: print(p, file=sys.stderr, flush=True),
            )
        except StoreError as exc:
            print(f"sbc: {exc}", file=sys.stderr)
            return USAGE_ERROR
    print("\n".join(summary(result)))
    return _EXIT[result.status]
