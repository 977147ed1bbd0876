"""PyMC NUTS vs nutpie on each reference model, and what survives across processes.

Part 1, in this process: for each model (data generators of :mod:`benchmarks.compile_once`),
each backend compiles the model once (timed: "compile s"), then fits the same K seeded data
sets with the same draws / tune / chains and seeds. Printed per backend: compile seconds,
median per-fit wall seconds, median over the K fits of min-over-variables bulk ESS per
sampling second, usable fits (default convergence gate), and the nutpie / PyMC ratios.

Part 2, cross-process compile cache: a subprocess builds and compiles one model with
``PYTENSOR_FLAGS=base_compiledir=<fresh temporary directory>`` (cold: no C modules and no
Numba cache), then a second subprocess does the same with that directory (warm). The times
cover ``build()`` + compilation, not the interpreter start or imports.

- PyMC (C backend): PyTensor keeps compiled C modules in ``compiledir`` (keyed by the graph),
  so a second process links them instead of compiling; graph rewriting still runs.
- nutpie (numba backend): the PyTensor functions inside go through PyTensor's Numba cache
  (``base_compiledir/numba``, ``config.numba__cache``), but nutpie wraps them in
  ``numba.cfunc`` closures over "dynamic globals" that Numba cannot cache (nutpie silences
  that warning, ``nutpie/compile_pymc.py``), and a ``CompiledPyMCModel`` holds compiled
  function pointers, so it cannot be pickled or persisted: each process compiles the
  wrappers again. Numba caches of other packages (site-packages ``__pycache__``) stay warm
  in both runs.

Run: ``python -m benchmarks.mcmc_backends [--k 3] [--draws 1000] [--tune 1000] [--chains 2]
[--only TEXT] [--skip-cross-process]``. The machine has 2 shared cores: timings are noisy.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks.compile_once import CASES, ess_per_second
from reference_models.sampling import SamplerSettings, fit

DEFAULT_CASES = (
    "gamma_exponential",
    "hierarchical pinned",
    "hierarchical learned a0=5.0 centred n_own~200",
    "jump_mixture n~2000",
)
BACKENDS = ("pymc", "nutpie")

_COMPILE_SCRIPT = """
import json, sys, time
import numpy as np
from benchmarks.compile_once import CASES
name, backend = sys.argv[1], sys.argv[2]
build, make_data = CASES[name]
start = time.perf_counter()
model = build()
model.set_data(make_data(np.random.default_rng(0), 0))
model.compiled_nutpie() if backend == "nutpie" else model.compiled_pymc()
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def in_process(name: str, backend: str, k: int, settings: SamplerSettings, seed: int) -> dict:
    """Compile once, then K fits of the same data sets and seeds for both backends."""
    build, make_data = CASES[name]
    datasets = [make_data(np.random.default_rng(seed + i), i) for i in range(k)]
    model = build()
    model.set_data(datasets[0])
    start = time.perf_counter()
    model.compiled_nutpie() if backend == "nutpie" else model.compiled_pymc()
    compile_s = time.perf_counter() - start
    per_fit, rates, usable = [], [], 0
    for i, data in enumerate(datasets):
        start = time.perf_counter()
        result = fit(model, data, seed=seed + i, settings=settings)
        per_fit.append(time.perf_counter() - start)
        rates.append(ess_per_second(result))
        usable += result.diagnostics.usable
    return {
        "compile_s": compile_s,
        "fit_s": statistics.median(per_fit),
        "ess_per_s": statistics.median(rates),
        "usable": usable,
    }


def compile_in_subprocess(name: str, backend: str, base_compiledir: str) -> float:
    """Seconds of build + compile in a fresh interpreter using ``base_compiledir``."""
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={base_compiledir}"}
    out = subprocess.run(
        [sys.executable, "-c", _COMPILE_SCRIPT, name, backend],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def cold_and_warm(name: str, backend: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="pytensor-cold-") as tmp:
        return compile_in_subprocess(name, backend, tmp), compile_in_subprocess(name, backend, tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3, help="data sets (fits) per model")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--only", default="", help="run default cases whose name contains this")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--skip-cross-process", action="store_true")
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    cases = [c for c in DEFAULT_CASES if args.only in c]
    print(
        f"draws={args.draws} tune={args.tune} chains={args.chains} (sequential), K={args.k} "
        f"fits per model; 2 shared cores: noisy",
        flush=True,
    )
    head = f"{'model':<48} {'backend':<7} {'compile s':>9} {'s/fit':>7} {'ESS/s':>8} {'usable':>6}"
    print(head)
    rows: dict[str, dict[str, dict]] = {}
    for name in cases:
        rows[name] = {}
        for backend in BACKENDS:
            settings = SamplerSettings(
                draws=args.draws, tune=args.tune, chains=args.chains, backend=backend
            )
            r = in_process(name, backend, args.k, settings, args.seed)
            rows[name][backend] = r
            print(
                f"{name:<48} {backend:<7} {r['compile_s']:>9.2f} {r['fit_s']:>7.3f} "
                f"{r['ess_per_s']:>8.0f} {r['usable']:>3}/{args.k}",
                flush=True,
            )
    print("\nratios nutpie / pymc (per-fit time < 1 and ESS/s > 1 favour nutpie)")
    print(f"{'model':<48} {'s/fit':>7} {'ESS/s':>7} {'compile':>8}")
    for name, r in rows.items():
        p, n = r["pymc"], r["nutpie"]
        print(
            f"{name:<48} {n['fit_s'] / p['fit_s']:>7.2f} {n['ess_per_s'] / p['ess_per_s']:>7.2f} "
            f"{n['compile_s'] / p['compile_s']:>8.2f}"
        )
    if args.skip_cross_process:
        return
    print("\ncross-process compile cache: build + compile s in a fresh process")
    print(f"{'model':<48} {'backend':<7} {'cold':>7} {'warm':>7} {'warm/cold':>9}")
    for name in cases:
        for backend in BACKENDS:
            cold, warm = cold_and_warm(name, backend)
            print(
                f"{name:<48} {backend:<7} {cold:>7.2f} {warm:>7.2f} {warm / cold:>9.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
