"""SBC replications per minute: the vectorised JAX rank SBC against ``simuk`` in one process.

Model: the conjugate reference kappa ~ Gamma(5, rate 5/2500), d_i ~ Exp(rate kappa), with
the same n for every data set (``n_min = n_max = n``, as simuk needs) and the same sampler
settings for both: ``chains`` x (``tune`` warm-up + ``draws``) per replication.

- jax: :func:`validation.calibration.sbc_vectorised.run_vectorised_ranks`, every replication
  and chain in one ``jax.jit(jax.vmap(...))`` program, for each N in ``--reps``: "cold" is the
  first call for that N (tracing and XLA compilation included: a new N is a new shape, so a
  new program; the first cold row also pays JAX's start-up), "warm" a second call with
  another seed (compiled program reused). Each includes simulation, ArviZ R-hat/ESS of every
  replication, thinning, ranks and the uniformity verdict.
- simuk 0.2.0: ``simuk.SBC`` with PyMC NUTS (:func:`benchmarks.sbc_dask.simuk_row`; it
  rebuilds and recompiles the model per simulation, ranks all draws, no gate).

The hierarchical (kappa_market learned, 2 groups, 200 market + 2 x 30 own distances) and
mixture (1000 returns) models have no vectorised SBC; for them the rows are fits per minute
of ``--model-fits`` (hierarchical) and ``--mixture-fits`` data sets (the scenarios of
:mod:`validation.agreement.backends`) in one vectorised program
(:func:`reference_models.backends.blackjax_nuts.sample_batch`, cold and warm), against
``--serial-fits`` fits of the same data one after another with ``sampling.fit`` (nutpie,
the default backend; its compilation included in the first fit), same sampler settings.

The machine has 2 cores, shared: the load average is printed; ratios within one run are the
useful part. Run:
``python -m benchmarks.sbc_jax [--reps 1000 100 300] [--simuk-n 20] [--model-fits 200]``.
On a machine with a GPU and the CUDA build of jaxlib (``pip install "jax[cuda12]"``) the same
command runs on the GPU: JAX places the program on the first accelerator it finds (set
``JAX_PLATFORMS=cpu`` to force the CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time

from benchmarks.sbc_dask import simuk_row
from validation.calibration.sbc_vectorised import VECTORISED_SETTINGS, run_vectorised_ranks


def jax_rows(reps: list[int], settings, seed: int) -> list[tuple[str, int, float, str, int]]:
    rows = []
    for n in reps:
        s = dataclasses.replace(settings, n_replications=n)
        for label, run_seed in (("cold", seed), ("warm", seed + 1)):
            start = time.perf_counter()
            result = run_vectorised_ranks(None, run_seed, settings=s)
            wall = time.perf_counter() - start
            rows.append((f"jax {label}", n, wall, result.status.value, result.details["n_usable"]))
            print(f"  jax {label} N={n}: {wall:.1f} s, {result.status.value}", flush=True)
    return rows


def model_rows(fits: dict[str, int], n_serial: int, settings) -> list[tuple[str, int, float]]:
    """Fits per minute, vectorised (cold, warm) and serial, for the two non-conjugate models."""
    import numpy as np

    from reference_models import sampling
    from reference_models.backends.blackjax_nuts import jax_model_of, sample_batch
    from validation.agreement.backends import SCENARIOS
    from validation.agreement.reference_fits import reference_model

    rows = []
    for module, n_fits in fits.items():
        scenario = SCENARIOS[module]
        model = reference_model(module, **scenario.build)
        data = [model.prepare(scenario.simulate(np.random.default_rng(k))) for k in range(n_fits)]
        jax_settings = sampling.SamplerSettings(
            draws=settings.draws, tune=settings.tune, chains=settings.chains, backend="jax"
        )
        for label, seed0 in (("cold", 0), ("warm", n_fits)):
            start = time.perf_counter()
            sample_batch(jax_model_of(model), data, range(seed0, seed0 + n_fits), jax_settings)
            rows.append((f"{module} jax {label}", n_fits, time.perf_counter() - start))
        serial = dataclasses.replace(jax_settings, backend="auto")
        start = time.perf_counter()
        for k in range(n_serial):
            sampling.fit(model, data[k], seed=k, settings=serial)
        rows.append(
            (
                f"{module} serial {sampling.resolve_backend('auto')}",
                n_serial,
                time.perf_counter() - start,
            )
        )
        print(f"  {rows[-3:]}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, nargs="+", default=[1000, 100, 300])
    parser.add_argument("--simuk-n", type=int, default=20)
    parser.add_argument("--n-data", type=int, default=100)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--model-fits", type=int, default=200, help="hierarchical data sets")
    parser.add_argument("--mixture-fits", type=int, default=20, help="mixture data sets")
    parser.add_argument("--serial-fits", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    settings = dataclasses.replace(
        VECTORISED_SETTINGS,
        n_min=args.n_data,
        n_max=args.n_data,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
    )
    print(
        f"kappa ~ Gamma(5, 5/2500), d ~ Exp(kappa), n = {args.n_data}; draws={args.draws} "
        f"tune={args.tune} chains={args.chains}; cpu_count={os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows = jax_rows(args.reps, settings, args.seed)
    simuk = simuk_row(args.simuk_n, args.n_data, args.draws, args.tune, args.chains, 1)
    simuk_rate = 60.0 * simuk.n / simuk.wall_s
    print(f"{'path':<12} {'N':>5} {'wall s':>8} {'reps/min':>10} {'vs simuk':>9}  verdict")
    for name, n, wall, status, usable in rows:
        rate = 60.0 * n / wall
        print(
            f"{name:<12} {n:>5} {wall:>8.1f} {rate:>10.0f} {rate / simuk_rate:>8.0f}x  "
            f"{status} ({usable}/{n} usable)"
        )
    print(f"{'simuk 0.2.0':<12} {simuk.n:>5} {simuk.wall_s:>8.1f} {simuk_rate:>10.1f} {1:>8}x")
    if args.model_fits:
        print(f"{'model fits':<34} {'N':>5} {'wall s':>8} {'fits/min':>10}")
        fits = {"hierarchical_kappa": args.model_fits, "jump_mixture": args.mixture_fits}
        for name, n, wall in model_rows(fits, args.serial_fits, settings):
            print(f"{name:<34} {n:>5} {wall:>8.1f} {60.0 * n / wall:>10.0f}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
