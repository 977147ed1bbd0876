"""SBC replications per minute: the vectorised JAX rank SBC against ``simuk`` in one process.

Model: the conjugate reference kappa ~ Gamma(5, rate 5/2500), d_i ~ Exp(rate kappa), with
the same n for every data set (``n_min = n_max = n``, as simuk needs) and the same sampler
settings for both: ``chains`` x (``tune`` warm-up + ``draws``) per replication.

- jax: :func:`validation.calibration.sbc_vectorised.run_vectorised_ranks`, replications in
  batches of 100 through one ``jax.jit(jax.vmap(...))`` program, for each N in ``--reps``:
  "cold" is the first call for that N, "warm" a second call with another seed. The program
  depends on the batch, not on N, so only the process's first call traces and compiles it
  (and pays the first call of ArviZ's diagnostics and of the verdict's ECDF band); the
  persistent compilation cache is switched off so that this call really compiles (importing
  jax and blackjax is done, and timed, before the rows: it is not compilation). Each
  row includes simulation, ArviZ R-hat/ESS of every replication, thinning, ranks and the
  uniformity verdict; ``sampling s`` is the sampler call alone (tracing, compilation, run),
  ``cpu s`` the process's CPU time (user + sys, all threads) over the row, less sensitive
  to other jobs on the machine than the wall time.
- simuk 0.2.0: ``simuk.SBC`` with PyMC NUTS (:func:`benchmarks.sbc_dask.simuk_row`; it
  rebuilds and recompiles the model per simulation, ranks all draws, no gate).
- ``--batch-sizes``: the sampler call alone (:func:`~reference_models.backends.blackjax_nuts.
  sample_batch`) on the first N's data for each batch size, compiled first, then timed.

The hierarchical (kappa_market learned, 2 groups, 200 market + 2 x 30 own distances) and
mixture (``--mixture-returns`` returns, pi = 0.05, sigma_d = 1e-4, sigma_j = 5e-4) models
have no vectorised SBC; for them the rows are fits per minute of ``--model-fits`` and
``--mixture-fits`` data sets in the vectorised program (``sample_batch``, cold and warm),
against ``--serial-fits`` fits of the same data one after another with ``sampling.fit``
(nutpie, the default backend; its compilation included in the first fit), same sampler
settings.

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
import importlib
import logging
import math
import os
import time

from benchmarks.sbc_dask import simuk_row
from validation.calibration.sbc_vectorised import VECTORISED_SETTINGS, run_vectorised_ranks

Row = tuple[str, int, float, float, float, str]
"""(path, N, wall s, sampling s, cpu s, verdict)."""


def jax_rows(reps: list[int], settings, seed: int) -> list[Row]:
    rows = []
    for n in reps:
        s = dataclasses.replace(settings, n_replications=n)
        for label, run_seed in (("cold", seed), ("warm", seed + 1)):
            start, cpu = time.perf_counter(), time.process_time()
            result = run_vectorised_ranks(None, run_seed, settings=s)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            sampling = result.details["sampling_seconds"]
            verdict = f"{result.status.value} ({result.details['n_usable']}/{n} usable)"
            rows.append((f"jax {label}", n, wall, sampling, cpu, verdict))
            print(f"  jax {label} N={n}: {wall:.1f} s, {verdict}", flush=True)
    return rows


def batch_rows(batch_sizes: list[int], settings, seed: int) -> list[Row]:
    """The sampler call alone for N = ``settings.n_replications`` per batch size (warm)."""
    from reference_models.backends.blackjax_nuts import sample_batch
    from reference_models.sampling import SamplerSettings
    from validation.calibration.sbc_reference import replication_inputs
    from validation.calibration.sbc_vectorised import _default_model

    s, model = settings, _default_model()
    inputs = [replication_inputs(k, s, seed) for k in range(s.n_replications)]
    prior = {"prior_alpha": s.model_prior.alpha, "prior_beta": s.model_prior.beta}
    values = [{"distances": d.distances, **prior} for d, _ in inputs]
    seeds = [mcmc_seed for _, mcmc_seed in inputs]
    sampler = SamplerSettings(draws=s.draws, tune=s.tune, chains=s.chains, backend="jax")
    rows = []
    for size in batch_sizes:
        sample_batch(model, values[:size], seeds[:size], sampler, size)  # compile
        start, cpu = time.perf_counter(), time.process_time()
        sample_batch(model, values, seeds, sampler, size)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows.append((f"jax batch {size}", s.n_replications, wall, wall, cpu, "(sampler only)"))
        print(f"  batch {size}: {wall:.1f} s, cpu {cpu:.1f} s", flush=True)
    return rows


def _mixture_data(n_returns: int):
    from validation.scenarios import simulate_jumps

    def simulate(rng):
        return {"returns": simulate_jumps(rng, n_returns, 0.05, 1e-4, 5e-4).returns}

    return simulate


def model_rows(
    fits: dict[str, int], n_serial: int, settings, mixture_returns: int
) -> list[tuple[str, int, float, float]]:
    """Fits per minute, vectorised (cold, warm) and serial, for the two non-conjugate models:
    (path, fits, wall s, cpu s)."""
    import numpy as np

    from reference_models import sampling
    from reference_models.backends.blackjax_nuts import jax_model_of, sample_batch
    from validation.agreement.backends import SCENARIOS
    from validation.agreement.reference_fits import reference_model

    rows = []
    for module, n_fits in fits.items():
        scenario = SCENARIOS[module]
        model = reference_model(module, **scenario.build)
        simulate = _mixture_data(mixture_returns) if module == "jump_mixture" else scenario.simulate
        data = [model.prepare(simulate(np.random.default_rng(k))) for k in range(n_fits)]
        jax_settings = sampling.SamplerSettings(
            draws=settings.draws, tune=settings.tune, chains=settings.chains, backend="jax"
        )
        for label, seed0 in (("cold", 0), ("warm", n_fits)):
            start, cpu = time.perf_counter(), time.process_time()
            sample_batch(jax_model_of(model), data, range(seed0, seed0 + n_fits), jax_settings)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            rows.append((f"{module} jax {label}", n_fits, wall, cpu))
            print(f"  {rows[-1]}", flush=True)
        serial = dataclasses.replace(jax_settings, backend="auto")
        start, cpu = time.perf_counter(), time.process_time()
        for k in range(n_serial):
            sampling.fit(model, data[k], seed=k, settings=serial)
        name = f"{module} serial {sampling.resolve_backend('auto')}"
        rows.append((name, n_serial, time.perf_counter() - start, time.process_time() - cpu))
        print(f"  {rows[-1]}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, nargs="+", default=[1000, 100, 300])
    parser.add_argument("--simuk-n", type=int, default=20, help="0: no simuk row")
    parser.add_argument("--n-data", type=int, default=100)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--model-fits", type=int, default=200, help="hierarchical data sets")
    parser.add_argument("--mixture-fits", type=int, default=100, help="mixture data sets")
    parser.add_argument("--mixture-returns", type=int, default=200, help="returns per set")
    parser.add_argument("--serial-fits", type=int, default=10)
    args = parser.parse_args()
    start = time.perf_counter()
    importlib.import_module("reference_models.jax_models.nuts")  # first: sets the device count
    import blackjax  # noqa: F401  (imported by the first call otherwise)
    import jax

    imports = time.perf_counter() - start
    jax.config.update("jax_enable_compilation_cache", False)  # cold means compiled here
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
        f"{len(jax.local_devices())} JAX devices, load average {os.getloadavg()[0]:.1f}; "
        f"importing jax and blackjax took {imports:.1f} s (before the rows)",
        flush=True,
    )
    rows = jax_rows(args.reps, settings, args.seed)
    if args.batch_sizes:
        first = dataclasses.replace(settings, n_replications=args.reps[0])
        rows += batch_rows(args.batch_sizes, first, args.seed)
    simuk, simuk_cpu, simuk_rate = None, 0.0, math.nan
    if args.simuk_n:
        cpu = time.process_time()
        simuk = simuk_row(args.simuk_n, args.n_data, args.draws, args.tune, args.chains, 1)
        simuk_cpu = time.process_time() - cpu
        simuk_rate = 60.0 * simuk.n / simuk.wall_s
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'path':<14} {'N':>5} {'wall s':>7} {'sampling s':>10} {'cpu s':>7} "
        f"{'reps/min':>9} {'vs simuk':>8}  verdict"
    )
    for name, n, wall, sampling, cpu, verdict in rows:
        rate = 60.0 * n / wall
        print(
            f"{name:<14} {n:>5} {wall:>7.1f} {sampling:>10.1f} {cpu:>7.1f} {rate:>9.0f} "
            f"{rate / simuk_rate:>7.0f}x  {verdict}"
        )
    if simuk is not None:
        print(
            f"{'simuk 0.2.0':<14} {simuk.n:>5} {simuk.wall_s:>7.1f} {'':>10} {simuk_cpu:>7.1f} "
            f"{simuk_rate:>9.1f} {1:>7}x"
        )
    if args.model_fits or args.mixture_fits:
        print(f"{'model fits':<34} {'N':>5} {'wall s':>8} {'cpu s':>7} {'fits/min':>9}")
        fits = {"hierarchical_kappa": args.model_fits, "jump_mixture": args.mixture_fits}
        fits = {k: v for k, v in fits.items() if v}
        for name, n, wall, cpu in model_rows(
            fits, args.serial_fits, settings, args.mixture_returns
        ):
            print(f"{name:<34} {n:>5} {wall:>8.1f} {cpu:>7.1f} {60.0 * n / wall:>9.0f}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
