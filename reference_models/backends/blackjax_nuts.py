"""BlackJAX NUTS on the independent JAX log densities of :mod:`reference_models.jax_models`.

``compile(model)`` builds the JAX implementation named by the PyMC model's ``module`` and
``build_args``; JAX compiles (``jax.jit``) one program per (settings, padded data length and,
for :func:`sample_batch`, batch size): 1-d inputs are zero-padded to the next power of two (at
least 16) with a 0/1 mask, so data sets of similar length reuse one compiled program. All
chains of a fit run in one vectorised program (``cores`` is ignored); a batch of fits is
split over every local device (:func:`devices`). The output is an
``InferenceData`` with the same variable names as the PyMC model's posterior and
``sample_stats.diverging``. The fingerprint for the fit cache is the SHA-256 of the source of
the model's JAX density module, of the shared log densities (``jax_models._logpdf``) and of
the sampler (``jax_models.nuts``).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import weakref
from collections.abc import Mapping, Sequence

import arviz as az
import numpy as np

from reference_models.backends.base import Backend
from reference_models.base import ReferenceModel

MIN_PADDED_LENGTH = 16
BATCH_SIZE = 100
"""Data sets per call of the vectorised program in :func:`sample_batch`. Smaller batches
cost less per chain: every NUTS step of a vmapped batch runs the deepest tree of its chains,
and 200-chain arrays stay in cache. N = 1000 conjugate SBC replications (2 chains x (300 +
1000)), sampler call alone, one process: batches of 100 took 0.81x the time of one batch of
1000 at load 3 (10.2 s against 12.6 s; 50: 10.0 s, 25: 18.2 s), 0.6x at load 8; with the
flat batch over two devices (load 7, CPU seconds): 250: 10.2, 100: 10.5, 50: 14.7;
``python -m benchmarks.sbc_jax --reps 1000 --batch-sizes 250 100 50 --simuk-n 0
--model-fits 0 --mixture-fits 0``."""
_models: weakref.WeakKeyDictionary[ReferenceModel, object] = weakref.WeakKeyDictionary()


def padded_length(n: int) -> int:
    """The next power of two >= max(n, MIN_PADDED_LENGTH)."""
    return max(MIN_PADDED_LENGTH, 1 << max(int(n) - 1, 0).bit_length())


def pad(values: Mapping[str, np.ndarray], length: int | None = None) -> dict[str, np.ndarray]:
    """Every 1-d input zero-padded to ``length`` (default :func:`padded_length` of the longest)
    plus its ``<name>_mask``; scalars unchanged."""
    vectors = [v for v in values.values() if np.ndim(v) == 1]
    if length is None:
        length = padded_length(max((v.size for v in vectors), default=0))
    out: dict[str, np.ndarray] = {}
    for name, value in values.items():
        value = np.asarray(value)
        if value.ndim == 1:
            if value.size > length:
                raise ValueError(f"{name}: {value.size} values do not fit in length {length}")
            out[name] = np.pad(value, (0, length - value.size))
            out[f"{name}_mask"] = (np.arange(length) < value.size).astype(np.float64)
        else:
            out[name] = value
    return out


def jax_model_of(reference_model: ReferenceModel):
    """The JAX implementation of a PyMC reference model (built once per model)."""
    if reference_model not in _models:
        from reference_models.jax_models import build

        if reference_model.module is None:
            raise ValueError(f"model {reference_model.name!r} does not name its module")
        _models[reference_model] = build(reference_model.module, **reference_model.build_args)
    return _models[reference_model]


@functools.cache
def _jitted(model, chains: int, tune: int, draws: int, target_accept: float, batched: bool):
    """All chains of one fit, or (``batched``) a flat batch of chains (data set x chain, each
    with its own copy of the data) split evenly over :func:`devices`: each device runs
    ``jax.vmap`` of the one-chain sampler on its share (``jax.shard_map``, no communication:
    every device's while loops stop on its own chains), compiled once for all of them."""
    import jax
    from jax.sharding import Mesh, PartitionSpec

    from reference_models.jax_models import nuts

    if not batched:
        return jax.jit(
            nuts.all_chains_sampler(
                model, chains=chains, tune=tune, draws=draws, target_accept=target_accept
            )
        )
    run = nuts.chain_sampler(model, tune=tune, draws=draws, target_accept=target_accept)
    mesh = Mesh(np.asarray(devices()), ("chain",))
    split = PartitionSpec("chain")
    return jax.jit(
        jax.shard_map(jax.vmap(run), mesh=mesh, in_specs=split, out_specs=split, check_vma=False)
    )


@functools.cache
def _chain_keys_of_seeds(chains: int):
    """Compiled once: seeds (n,) -> the (n * chains) chain keys, data set by data set."""
    import jax

    from reference_models.jax_models.nuts import chain_keys

    return jax.jit(jax.vmap(lambda seed: chain_keys(jax.random.key(seed), chains)))


def devices() -> list:
    """The devices :func:`sample_batch` splits a batch over: every local device of JAX's
    default backend (one per core on a CPU, see ``reference_models.jax_models``; the GPUs
    when there are)."""
    import jax

    return jax.local_devices()


def sample_batch(
    model,
    values: Sequence[Mapping[str, np.ndarray]],
    seeds: Sequence[int],
    settings,
    batch_size: int = BATCH_SIZE,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Draws for many data sets at once: padded to one length, stacked, and sampled
    ``batch_size`` data sets x chains per call of one compiled program (:func:`_jitted`: the
    batch is flat, data set x chain, and split over :func:`devices`), compiled once per model,
    settings, padded length and process for any number of data sets >= ``batch_size``; fewer
    are one smaller batch. A batch is filled up to a whole number of chains per device (and
    the last one to a full batch) with copies of the last data set, whose draws are dropped.
    Data set i's chains start from :func:`~reference_models.jax_models.nuts.chain_keys` of
    ``jax.random.key(seeds[i])``, as in a fit of that data set alone. Returns every variable
    shaped (data set, chain, draw, ...) and the divergence flags shaped (data set, chain,
    draw)."""
    import jax.numpy as jnp

    if len(values) != len(seeds) or not values:
        raise ValueError(f"values, seeds: {len(values)} data sets and {len(seeds)} seeds")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: must be >= 1")
    length = padded_length(max(np.size(v) for d in values for v in d.values()))
    padded = [pad(d, length) for d in values]
    stacked = {name: np.stack([p[name] for p in padded]) for name in padded[0]}
    seeds = np.asarray(seeds, dtype=np.uint32)
    chains, n_devices = settings.chains, len(devices())
    batch = min(int(batch_size), len(values))
    while (batch * chains) % n_devices:
        batch += 1
    filled = -len(values) % batch
    take = np.concatenate([np.arange(len(values)), np.full(filled, len(values) - 1)])
    run = _jitted(model, chains, settings.tune, settings.draws, settings.target_accept, True)
    keys_of = _chain_keys_of_seeds(chains)
    outputs = []  # dispatched asynchronously, converted once all are queued
    for first in range(0, take.size, batch):
        rows = take[first : first + batch]
        data = {
            name: jnp.asarray(np.repeat(v[rows], chains, axis=0)) for name, v in stacked.items()
        }
        outputs.append(run(data, keys_of(jnp.asarray(seeds[rows])).reshape(-1)))

    def by_data_set(flat: list[np.ndarray]) -> np.ndarray:
        x = np.concatenate(flat)
        return x.reshape(-1, chains, *x.shape[1:])[: len(values)]

    draws = {k: by_data_set([np.asarray(o[0][k]) for o in outputs]) for k in outputs[0][0]}
    return draws, by_data_set([np.asarray(o[1]) for o in outputs])


class BlackjaxBackend(Backend):
    name = "jax"
    packages = ("jax", "jaxlib", "blackjax")

    def compile(self, reference_model: ReferenceModel):
        return jax_model_of(reference_model)

    def fingerprint(self, reference_model: ReferenceModel) -> str:
        from reference_models.jax_models import _logpdf, nuts

        model = jax_model_of(reference_model)
        modules = (sys.modules[model.source], _logpdf, nuts)
        text = "".join(inspect.getsource(m) for m in modules)
        return hashlib.sha256(text.encode()).hexdigest()

    def sample(self, reference_model, compiled, values, settings, seed, progressbar):
        del reference_model, progressbar
        return sample_model(compiled, values, settings, seed)


BACKEND = BlackjaxBackend()


def sample_model(model, values: Mapping[str, np.ndarray], settings, seed: int) -> az.InferenceData:
    """Draws of a :class:`~reference_models.jax_models.JaxModel` (e.g. a deliberately wrong
    variant) for validated, complete data ``values``, as the backend samples a reference model."""
    import jax

    run = _jitted(
        model, settings.chains, settings.tune, settings.draws, settings.target_accept, False
    )
    draws, divergent = run(pad(values), jax.random.key(seed))
    return to_inference_data(model, draws, divergent)


def to_inference_data(model, draws: Mapping, divergent) -> az.InferenceData:
    """``InferenceData`` of one fit: variables (chain, draw, ...), ``sample_stats.diverging``."""
    posterior = {name: np.asarray(draws[name]) for name in model.variables}
    dims = {name: list(model.dims[name]) for name in posterior if name in model.dims}
    return az.from_dict(
        posterior=posterior,
        sample_stats={"diverging": np.asarray(divergent, dtype=bool)},
        dims=dims,
    )
