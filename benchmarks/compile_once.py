"""Compile once vs rebuild: per-fit seconds and ESS per second of each reference model.

For each model, K seeded data sets of varying length are fitted twice:

- compiled once: one ``build()``; its compiled functions serve all K fits (the one-time
  compilation is timed separately and excluded from the per-fit times);
- rebuilt: ``build()`` + ``fit()`` for every data set, so every fit compiles again.

Printed: compile seconds, median per-fit wall seconds of both, their ratio, and the median over
the K fits of min-over-variables bulk ESS / sampling second (compiled-once fits).
Note: PyTensor caches compiled C code on disk, so "rebuilt" pays graph rewriting and linking
but not the C compilation of a cold cache (reported separately as the first compile).

Run: ``python -m benchmarks.compile_once [--k 5] [--chains 2] [--draws 1000] [--backend pymc]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

import numpy as np

from reference_models import gamma_exponential, hierarchical_kappa, jump_mixture
from reference_models.base import ReferenceModel
from reference_models.sampling import SamplerSettings, fit

DataFn = Callable[[np.random.Generator, int], dict[str, np.ndarray]]


def kappa_data(rng: np.random.Generator, k: int) -> dict[str, np.ndarray]:
    return {"distances": rng.exponential(1 / 2500.0, 80 + 20 * k)}


def own_fills(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    group = rng.integers(0, 2, n)
    return {
        "own_distances": rng.exponential(1 / np.array([1800.0, 3200.0])[group]),
        "own_group": group,
    }


def pinned_data(rng: np.random.Generator, k: int) -> dict[str, np.ndarray]:
    return {**own_fills(rng, 60 + 10 * k), "kappa_market": np.float64(2500.0)}


def learned_data(n_own: int) -> DataFn:
    def make(rng: np.random.Generator, k: int) -> dict[str, np.ndarray]:
        market = rng.exponential(1 / 2500.0, 300 + 20 * k)
        return {**own_fills(rng, n_own + k), "market_distances": market}

    return make


def jump_data(rng: np.random.Generator, k: int) -> dict[str, np.ndarray]:
    n = 2000 + 100 * k
    z = rng.random(n) < 0.05
    return {"returns": rng.normal(size=n) * np.where(z, 5e-4, 1e-4)}


CASES: dict[str, tuple[Callable[[], ReferenceModel], DataFn]] = {
    "gamma_exponential": (lambda: gamma_exponential.build(5.0, 5.0 / 2500.0), kappa_data),
    "hierarchical pinned": (lambda: hierarchical_kappa.build(market="pinned"), pinned_data),
    **{
        f"hierarchical learned a0={'learn' if a0 is None else a0} {par} n_own~{n}": (
            lambda a0=a0, par=par: hierarchical_kappa.build(a0=a0, parameterisation=par),
            learned_data(n),
        )
        for a0 in (5.0, None)
        for n in (10, 200)
        for par in ("centred", "non_centred")
    },
    "jump_mixture n~2000": (jump_mixture.build, jump_data),
}


def ess_per_second(result) -> float:
    diag = result.diagnostics
    return min(diag.ess_bulk.values()) / diag.sampling_seconds


def run_case(build, make_data, k: int, settings: SamplerSettings, seed: int) -> dict[str, float]:
    datasets = [make_data(np.random.default_rng(seed + i), i) for i in range(k)]
    model = build()
    model.set_data(datasets[0])
    start = time.perf_counter()
    if settings.backend == "nutpie":
        model.compiled_nutpie()
    else:
        model.compiled_pymc()
    compile_seconds = time.perf_counter() - start
    once, rebuilt, rates, usable = [], [], [], 0
    for i, data in enumerate(datasets):
        start = time.perf_counter()
        result = fit(model, data, seed=seed + i, settings=settings)
        once.append(time.perf_counter() - start)
        rates.append(ess_per_second(result))
        usable += result.diagnostics.usable
        start = time.perf_counter()
        fit(build(), data, seed=seed + i, settings=settings)
        rebuilt.append(time.perf_counter() - start)
    return {
        "compile_s": compile_seconds,
        "once_s": statistics.median(once),
        "rebuilt_s": statistics.median(rebuilt),
        "ratio": statistics.median(rebuilt) / statistics.median(once),
        "ess_per_s": statistics.median(rates),
        "usable": usable,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5, help="data sets per model")
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--backend", default="pymc", choices=["pymc", "nutpie"])
    parser.add_argument("--only", default="", help="run cases whose name contains this text")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    settings = SamplerSettings(
        draws=args.draws, tune=args.tune, chains=args.chains, backend=args.backend
    )
    print(f"{settings}, K={args.k}")
    header = ("model", "compile s", "once s/fit", "rebuilt s/fit", "ratio", "ESS/s", "usable")
    print("{:<52} {:>9} {:>10} {:>13} {:>6} {:>7} {:>6}".format(*header))
    for name, (build, make_data) in CASES.items():
        if args.only not in name:
            continue
        r = run_case(build, make_data, args.k, settings, args.seed)
        print(
            f"{name:<52} {r['compile_s']:>9.2f} {r['once_s']:>10.2f} {r['rebuilt_s']:>13.2f} "
            f"{r['ratio']:>6.2f} {r['ess_per_s']:>7.0f} {r['usable']:>3}/{args.k}",
            flush=True,
        )


if __name__ == "__main__":
    main()
