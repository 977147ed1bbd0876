"""Independent JAX log densities of the three reference models, for the ``"jax"`` backend.

Written from the models' mathematics (the module docstrings of
:mod:`reference_models.gamma_exponential`, :mod:`~reference_models.hierarchical_kappa` and
:mod:`~reference_models.jump_mixture`), not from their PyMC graphs: each density is spelled out
term by term (Gamma, Exponential, Normal, Beta log densities and the log-Jacobians of the
unconstraining transforms), so that agreement of the two implementations' posteriors is
evidence about both.

A :class:`JaxModel` works on *padded* data: every 1-d input ``x`` comes with ``x_mask`` (1.0
for a real observation, 0.0 for padding) and the likelihood is the mask-weighted sum, so data
sets of different lengths share one compiled program and stack along a replication axis for
``jax.vmap``.

Example::

    >>> from reference_models.jax_models import build
    >>> model = build("gamma_exponential", prior_alpha=5.0, prior_beta=0.002)
    >>> sorted(model.variables)
    ['kappa']
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST_DEVICES_FLAG = "--xla_force_host_platform_device_count"


def _host_devices_flag() -> None:
    """One XLA CPU device per core (``os.cpu_count()``) unless ``XLA_FLAGS`` already sets the
    count: :func:`reference_models.backends.blackjax_nuts.sample_batch` runs one share of the
    replications on each device. Read when JAX's CPU backend starts, so before any array."""
    flags = os.environ.get("XLA_FLAGS", "")
    if HOST_DEVICES_FLAG not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {HOST_DEVICES_FLAG}={os.cpu_count() or 1}".strip()


_host_devices_flag()

import jax  # noqa: E402  (after the device count is in XLA_FLAGS)

jax.config.update("jax_enable_x64", True)

CACHE_ENV = "KAPPA_SUITE_JAX_CACHE"
"""Environment variable naming the persistent compilation cache directory ("" disables it)."""


def compilation_cache_dir() -> Path | None:
    """Where compiled XLA programs persist across processes: ``$KAPPA_SUITE_JAX_CACHE``, else
    ``$XDG_CACHE_HOME/kappa-validation-suite/jax`` (``~/.cache/...``); None when disabled.

    Like numba's ``cache=True`` for :mod:`online.bulk`: the first process compiles a program
    (tens of seconds for window adaptation + NUTS), later ones load it; tracing still runs.
    """
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kappa-validation-suite" / "jax"


_cache = compilation_cache_dir()
if _cache is not None:
    jax.config.update("jax_compilation_cache_dir", str(_cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)

Position = dict[str, jax.Array]
Data = Mapping[str, jax.Array]

MODULES = ("gamma_exponential", "hierarchical_kappa", "jump_mixture")


@dataclass(frozen=True, eq=False)
class JaxModel:
    """A model as pure JAX functions of an unconstrained position and padded data (compared
    and hashed by identity, so compiled programs can be cached per model).

    Attributes:
        name: the model's name.
        summarise: ``data -> data``, applied once per data set before sampling: the sufficient
            statistics the density needs (e.g. count and sum of the distances), or the data.
        logdensity: ``(position, summary) -> log p(position, data)``, the joint log density in
            the unconstrained space (log-Jacobians included), of the output of ``summarise``.
        constrain: ``(position, summary) -> {variable: value}``, the posterior variables the PyMC
            model reports (same names), computed from the position.
        initial_position: ``(key, summary) -> position``, a random start for one chain.
        variables: names of the outputs of ``constrain``; ``dims`` their named vector axes.
        source: the module implementing it (its source is the backend's fingerprint).
    """

    name: str
    summarise: Callable[[Data], Data]
    logdensity: Callable[[Position, Data], jax.Array]
    constrain: Callable[[Position, Data], Position]
    initial_position: Callable[[jax.Array, Data], Position]
    variables: tuple[str, ...]
    dims: Mapping[str, tuple[str, ...]]
    source: str


def build(module: str, **build_args: Any) -> JaxModel:
    """``reference_models.jax_models.<module>.build(**build_args)`` (same arguments as the
    PyMC model of the same name)."""
    if module not in MODULES:
        raise ValueError(f"module={module!r}: no JAX implementation (have {MODULES})")
    return importlib.import_module(f"reference_models.jax_models.{module}").build(**build_args)
