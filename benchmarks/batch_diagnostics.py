"""Convergence diagnostics of many fits: ArviZ one fit at a time against the vectorised
:func:`reference_models.batch_diagnostics.diagnose_batch`, in one process.

Draws: N fits x 2 chains x 1000 draws of a Gamma(5) posterior with AR(1) autocorrelation 0.3
(what the vectorised SBC gates). ArviZ path: ``az.rhat`` (rank) and ``az.ess`` (bulk, tail) on a
Dataset with a ``replication`` dimension, as the SBC computed them before (ArviZ loops over
the replications). Printed: median seconds of ``--repeats`` runs of each and their ratio, and
the largest relative difference of the outputs.

Run: ``python -m benchmarks.batch_diagnostics [--fits 1000] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def draws(n_fits: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n_fits, 2, 1000))
    x = np.zeros_like(noise)
    for t in range(1, x.shape[-1]):
        x[..., t] = 0.3 * x[..., t - 1] + noise[..., t]
    return 5.0 + np.sqrt(5.0) * x


def main(argv: list[str] | None = None) -> None:
    import arviz as az
    import xarray as xr

    from reference_models.batch_diagnostics import diagnose_batch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    x = draws(args.fits)
    posterior = xr.Dataset({"kappa": (("chain", "draw", "replication"), np.moveaxis(x, 0, -1))})

    def with_arviz():
        return (
            az.rhat(posterior)["kappa"].values,
            az.ess(posterior, method="bulk")["kappa"].values,
            az.ess(posterior, method="tail")["kappa"].values,
        )

    def vectorised():
        d = diagnose_batch(x)
        return d.rhat, d.ess_bulk, d.ess_tail

    times: dict[str, list[float]] = {"arviz": [], "vectorised": []}
    outputs = {}
    for _ in range(args.repeats):
        for name, run in (("arviz", with_arviz), ("vectorised", vectorised)):
            start = time.perf_counter()
            outputs[name] = run()
            times[name].append(time.perf_counter() - start)
    diff = max(
        float(np.max(np.abs(a - b) / np.abs(a)))
        for a, b in zip(outputs["arviz"], outputs["vectorised"], strict=True)
    )
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.fits} fits x 2 chains x 1000 draws; load average {os.getloadavg()[0]:.1f}")
    for name, seconds in median.items():
        print(f"  {name:<11} median {seconds:.3f} s over {args.repeats} runs")
    print(f"  ratio arviz / vectorised: {median['arviz'] / median['vectorised']:.0f}x")
    print(f"  largest relative difference of R-hat, bulk and tail ESS: {diff:.1e}")


if __name__ == "__main__":
    main()
