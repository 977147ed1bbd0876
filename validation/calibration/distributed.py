"""Rank SBC of the gamma_exponential reference model fanned out over ``dask.distributed``.

The same check as :func:`validation.calibration.sbc_reference.run_reference_ranks`, with each
replication a pure, picklable task :func:`replicate`. Replication k is a deterministic function
of (k, settings, base seed) and equals the serial path's k-th replication exactly:

- data: the serial path draws every replication from ONE generator ``default_rng(seed)``
  (n_k log-uniform, kappa_k from the simulation prior, then the distances), so replication k
  replays the draws of replications 0..k-1 first (about 40 us each against a fit of about
  0.05-0.5 s; each process resumes from the last position it reached);
- MCMC seed: ``SeedSequence([seed, tag]).generate_state(k + 1)[k]``, the k-th word of the
  serial path's ``generate_state(N)`` (the words are a prefix-stable sequence);
- the model is built and compiled once per worker process (``build_once``), the prior enters
  as data, as in the serial path.

With ``settings.backend == "jax"`` a task is a *chunk* of ``chunk_size`` replications sampled
in one vectorised program (:func:`validation.calibration.sbc_vectorised.replicate_batch`, the
same inputs for replication k as above), so each worker compiles once per chunk length and
the cluster fans out chunks instead of single fits.

The verdict is the serial path's (:func:`~validation.calibration.sbc_reference.rank_verdict`:
the ranks of every test quantity derived from the records, ordered by k), so for the same
seed and settings the ranks, statistic and status are identical to the serial run. The test
quantities, like N and alpha, are not part of the store key: a store can be re-judged with
other quantities (:mod:`validation.calibration.sbc_recompute`).

:func:`run_distributed_sbc` uses a ``LocalCluster`` of worker processes, or any scheduler
address; finished replications are written to an :class:`~validation.calibration.sbc_store.
SbcStore` as they arrive, and a rerun with the same store computes only the missing ones.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from validation.calibration.sbc_reference import (
    REFERENCE_GAMMA_EXPONENTIAL_RANKS,
    RankSbcSettings,
    rank_verdict,
    replicate,
)
from validation.calibration.sbc_store import SbcStore, store_key
from validation.results import CheckResult

#: settings fields that do not change any replication's result (not part of the store key)
_VERDICT_ONLY = ("n_replications", "alpha", "max_unusable_fraction", "quantities")


@dataclass(frozen=True)
class SbcProgress:
    """Progress of a distributed run.

    Attributes:
        done: replications finished (from the store or computed in this run).
        total: N.
        from_store: replications loaded from the store.
        elapsed_s: wall seconds since the run started (cluster start-up included).
        rate_per_min: replications computed in this run per minute of wall time.
        eta_s: seconds to go at that rate (inf before the first one finishes).
    """

    done: int
    total: int
    from_store: int
    elapsed_s: float
    rate_per_min: float
    eta_s: float

    def __str__(self) -> str:
        eta = "?" if not math.isfinite(self.eta_s) else f"{self.eta_s:.0f} s"
        return (
            f"sbc {self.done}/{self.total} ({self.from_store} from store) "
            f"{self.rate_per_min:.1f}/min, ETA {eta}"
        )


ProgressFn = Callable[[SbcProgress], None]


def store_description(settings: RankSbcSettings, seed: int) -> dict[str, Any]:
    """What a replication's result depends on: the store key's content."""
    from reference_models.sampling import resolve_backend

    per_replication = {k: v for k, v in asdict(settings).items() if k not in _VERDICT_ONLY}
    backend = resolve_backend(settings.backend)
    extra = {"nutpie": ["nutpie"], "jax": ["jax", "blackjax"]}.get(backend, [])
    packages = ["numpy", "pymc", "pytensor", "arviz", *extra]
    return {
        "check": REFERENCE_GAMMA_EXPONENTIAL_RANKS,
        "seed": seed,
        "settings": per_replication,
        "resolved_backend": backend,
        "versions": {p: metadata.version(p) for p in packages},
    }


def task_key(store_key: str, k: int) -> str:
    """Dask key of replication k (stable across runs, so a scheduler log names them)."""
    return f"sbc-replicate-{store_key[:16]}-{k}"


def _client(scheduler: str | None, n_workers: int, threads_per_worker: int) -> tuple[Any, Any]:
    """(client, the LocalCluster it owns or None for an external scheduler)."""
    import logging

    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def run_distributed_sbc(
    settings: RankSbcSettings,
    *,
    seed: int,
    scheduler: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    store_dir: Path | None = None,
    progress: ProgressFn | None = None,
    chunk_size: int = 250,
) -> CheckResult:
    """Rank SBC with replications on a Dask cluster; resumable through ``store_dir``.

    ``scheduler=None`` starts a ``LocalCluster`` of ``n_workers`` processes with
    ``threads_per_worker`` threads each (closed afterwards); otherwise connects to the given
    address (e.g. ``"tcp://host:8786"``) and leaves that cluster running. Replications already
    in the store are not recomputed; each new one is written to the store as soon as it
    arrives. ``progress`` is called once after the store is read and after every replication;
    an exception it raises stops the run (finished replications stay in the store). With the
    ``"jax"`` backend each task samples ``chunk_size`` replications in one vectorised program.
    """
    from dask.distributed import as_completed

    if n_workers < 1 or threads_per_worker < 1:
        raise ValueError(f"n_workers={n_workers}, threads_per_worker={threads_per_worker}: >= 1")
    if chunk_size < 1:
        raise ValueError(f"chunk_size={chunk_size}: must be >= 1")
    start = time.perf_counter()
    description = store_description(settings, seed)
    store = SbcStore(store_dir, description) if store_dir is not None else None
    stored = store.load() if store is not None else {}
    results = {k: r for k, r in stored.items() if k < settings.n_replications}
    from_store = len(results)
    todo = [k for k in range(settings.n_replications) if k not in results]
    computed: list[int] = []

    def report() -> None:
        if progress is None:
            return
        elapsed = time.perf_counter() - start
        rate = 60.0 * len(computed) / elapsed if computed else 0.0
        left = settings.n_replications - len(results)
        eta = 60.0 * left / rate if rate > 0 else (0.0 if left == 0 else math.inf)
        progress(SbcProgress(len(results), settings.n_replications, from_store, elapsed, rate, eta))

    report()
    address = scheduler or "LocalCluster"
    if todo:
        skey = store_key(description)
        client, cluster = _client(scheduler, n_workers, threads_per_worker)
        try:
            address = client.scheduler.address
            if settings.backend == "jax":
                from validation.calibration.sbc_vectorised import replicate_batch

                chunks = [todo[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]
                futures = client.map(
                    replicate_batch,
                    chunks,
                    settings=settings,
                    base_seed=seed,
                    key=[task_key(skey, c[0]) + f"-{len(c)}" for c in chunks],
                    pure=False,
                )
            else:
                futures = client.map(
                    replicate,
                    todo,
                    settings=settings,
                    base_seed=seed,
                    key=[task_key(skey, k) for k in todo],
                    pure=False,
                )
            for future in as_completed(futures):
                done = future.result()
                for r in done if isinstance(done, list) else [done]:
                    if store is not None:
                        store.append(r)
                    results[r.k] = r
                    computed.append(r.k)
                future.release()
                report()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    seconds = time.perf_counter() - start
    extra = {
        "distributed": {
            "scheduler": address,
            "n_workers": n_workers if scheduler is None else None,
            "from_store": from_store,
            "computed": sorted(computed),
            "replications_per_minute": 60.0 * len(computed) / seconds if computed else 0.0,
            "chunk_size": chunk_size if settings.backend == "jax" else 1,
            "store_dir": None if store_dir is None else str(store_dir),
        }
    }
    return rank_verdict(results.values(), settings, seed, seconds, extra)
