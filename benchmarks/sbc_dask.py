"""SBC replications per minute: our serial and Dask paths against ``simuk`` on one model.

The model is the conjugate reference: kappa ~ Gamma(5, rate 5/2500), d_i ~ Exp(rate kappa),
i = 1..n, with the same n for every data set (``n_min = n_max = n``) because simuk's data
have the shape of the model's observed data.

Rows:

- serial: :func:`validation.calibration.sbc_reference.run_reference_ranks` in this process,
  with ``--backend`` (nutpie by default) and with PyMC NUTS;
- dask 1 / 2 workers: :func:`validation.calibration.distributed.run_distributed_sbc` on a
  fresh LocalCluster (worker processes, 1 thread each);
- simuk 0.2.0: ``simuk.SBC(model, num_simulations=N, sample_kwargs=..., seed=...)``. Per
  simulation it calls ``pm.observe(model, draw)`` and ``pm.sample`` on the new model, so every
  simulation builds and compiles the model again (PyMC NUTS, C backend; PyTensor's on-disk
  cache spares the C compilation after the first). Its data come from one
  ``pm.sample_prior_predictive`` call; its rank is the count of ALL posterior draws below the
  true value (no thinning, no convergence gate).

Differences stated in the output: ours ranks among L = 99 draws thinned to about one
effective sample apart and gates each fit (R-hat, divergences, ESS >= L); simuk does
neither. Both use ``draws`` / ``tune`` / ``chains`` per fit, chains run sequentially
(``cores=1``).

"wall/min" = N / wall seconds x 60, including cluster start-up, imports in the workers and
compilation; "steady/min" = replications per minute between the first and the last finished
replication (compilation and start-up excluded). The machine has 2 cores, shared: numbers are
noisy, the same-process ratios are the useful part.

Run: ``python -m benchmarks.sbc_dask [--n 40] [--simuk-n 20] [--n-data 100]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import dataclass

import numpy as np

from validation.calibration import RankSbcSettings, run_reference_ranks
from validation.calibration.distributed import run_distributed_sbc
from validation.scenarios import GammaPrior


@dataclass
class Row:
    name: str
    n: int
    wall_s: float
    steady_per_min: float

    @property
    def wall_per_min(self) -> float:
        return 60.0 * self.n / self.wall_s


def _steady(times: list[float]) -> float:
    """Replications per minute between the first and the last completion."""
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return 60.0 * (len(times) - 1) / (times[-1] - times[0])


def serial(settings: RankSbcSettings, seed: int, label: str) -> Row:
    start = time.perf_counter()
    times: list[float] = []
    run_reference_ranks(
        None, seed, settings=settings, progress=lambda i, n: times.append(time.perf_counter())
    )
    return Row(label, settings.n_replications, time.perf_counter() - start, _steady(times))


def dask(settings: RankSbcSettings, seed: int, workers: int) -> Row:
    start = time.perf_counter()
    times: list[float] = []

    def progress(p) -> None:
        if p.done > p.from_store:
            times.append(time.perf_counter())

    run_distributed_sbc(settings, seed=seed, n_workers=workers, progress=progress)
    label = f"dask {workers} worker{'s' if workers > 1 else ''} ({settings.backend})"
    return Row(label, settings.n_replications, time.perf_counter() - start, _steady(times))


def simuk_row(n_sims: int, n_data: int, draws: int, tune: int, chains: int, seed: int) -> Row:
    import pymc as pm
    import simuk

    prior = GammaPrior()
    with pm.Model() as model:
        kappa = pm.Gamma("kappa", alpha=prior.alpha, beta=prior.beta)
        pm.Exponential("d", lam=kappa, observed=np.full(n_data, 1.0 / 2500.0))
    sbc = simuk.SBC(
        model,
        num_simulations=n_sims,
        sample_kwargs={"draws": draws, "tune": tune, "chains": chains, "cores": 1},
        seed=seed,
    )
    start = time.perf_counter()
    sbc.run_simulations()
    wall = time.perf_counter() - start
    ranks = sbc.simulations["prior_sbc"]["kappa"].values.ravel()
    assert ranks.size == n_sims
    return Row("simuk 0.2.0 (pymc NUTS)", n_sims, wall, float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="replications of our paths")
    parser.add_argument("--simuk-n", type=int, default=20, help="simulations of simuk")
    parser.add_argument("--n-data", type=int, default=100, help="distances per data set")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--backend", default="nutpie", choices=["pymc", "nutpie"])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    common = dict(
        n_replications=args.n,
        n_min=args.n_data,
        n_max=args.n_data,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
    )
    ours = RankSbcSettings(backend=args.backend, **common)
    print(
        f"kappa ~ Gamma(5, 5/2500), d ~ Exp(kappa), n = {args.n_data} per data set; "
        f"draws={args.draws} tune={args.tune} chains={args.chains} per fit, cores=1; "
        f"os.cpu_count() = {os.cpu_count()} (a 2-core machine, shared: noisy)",
        flush=True,
    )
    rows = [serial(ours, args.seed, f"serial ({args.backend})")]
    if args.backend != "pymc":
        rows.append(serial(RankSbcSettings(backend="pymc", **common), args.seed, "serial (pymc)"))
    rows += [dask(ours, args.seed, 1), dask(ours, args.seed, 2)]
    rows.append(simuk_row(args.simuk_n, args.n_data, args.draws, args.tune, args.chains, 1))
    ref = rows[-1].wall_per_min
    print(f"{'path':<28} {'N':>4} {'wall s':>8} {'wall/min':>9} {'steady/min':>11} {'vs simuk':>9}")
    for r in rows:
        print(
            f"{r.name:<28} {r.n:>4} {r.wall_s:>8.1f} {r.wall_per_min:>9.1f} "
            f"{r.steady_per_min:>11.1f} {r.wall_per_min / ref:>8.2f}x"
        )
    one, two = rows[-3], rows[-2]
    print(
        f"1 -> 2 workers: wall rate x{two.wall_per_min / one.wall_per_min:.2f}, steady rate "
        f"x{two.steady_per_min / one.steady_per_min:.2f} (2 cores; ideal x2)"
    )
    print(
        "vs simuk = wall/min ratio. Differences: ours ranks among L = 99 ESS-thinned draws and "
        "gates every fit; simuk ranks among all draws, no gate, and rebuilds + recompiles "
        "the model per simulation (pm.observe + pm.sample)."
    )


if __name__ == "__main__":
    main()
