"""Reference fits cached on disk, keyed by a SHA-256 of everything the fit depends on.

``cached_fit`` returns what :func:`reference_models.sampling.fit` would return, reading it from
``cache_dir`` when an entry with the same key exists. A fit is a deterministic function of
(model, data, seed, settings), so the key is

    key = sha256(canonical_json(manifest))

with ``manifest`` holding:

- the model: its ``name``, the caller's ``build_key`` (the keyword arguments given to
  ``build_once``/``build``) and the backend's fingerprint of the log density it samples (for
  the PyMC graph backends the SHA-256 of
  ``pytensor.printing.debugprint(model.logp(), print_type=True)``; for ``"jax"`` the SHA-256
  of the source of the model's JAX density module). The fingerprint catches an
  edited model (another likelihood, another transform) and was measured identical across
  processes and before/after sampling, but it does not see every build argument (constants and
  group counts can leave it unchanged: ``hierarchical_kappa`` with ``n_groups=2`` and ``3``
  print the same graph), so callers must pass the build arguments as ``build_key``;
- the data after ``ReferenceModel.prepare`` (defaults filled in), per key in sorted order:
  dtype (``dtype.str``, with byte order), shape and the SHA-256 of the C-ordered raw bytes;
- the seed, the gate and the settings (``dataclasses.asdict`` plus the class name), with
  ``backend`` replaced by the backend it resolves to: ``"auto"`` and ``"pymc"`` share entries
  when nutpie is not installed, and ``"auto"`` fits made with and without nutpie do not;
- ``__version__`` of numpy, pymc, pytensor and arviz, plus the backend's own packages (nutpie;
  jax, jaxlib and blackjax).

``canonical_json`` is ``json.dumps(sort_keys=True, separators=(",", ":"))`` of plain values;
floats are written with ``repr`` (round-trips exactly), so ``1`` and ``1.0`` differ, as do
``True`` and ``1``; an unsupported type raises ``TypeError`` rather than hashing an ``id``.

Entry layout in ``cache_dir``: ``<key>.nc`` (the InferenceData, ArviZ netCDF via h5netcdf) and
``<key>.json`` (diagnostics, the manifest, the SHA-256 of the ``.nc`` bytes and
``record_sha256``, the SHA-256 of the canonical JSON of all the other fields). Each file is
written to a temporary file in ``cache_dir`` and moved into place with ``os.replace``, netCDF
first, JSON last; an entry is read only when its JSON parses, its ``record_sha256`` matches (so
the ``usable`` flag, divergences and every other diagnostic the convergence verdict reads are
covered by the hash), its manifest hashes to the key it is stored under, and the netCDF bytes
hash to the recorded value. A crash mid-write, a truncated, corrupted or edited file, or an
entry copied under another key's name is a miss (with a ``UserWarning``), never a half-loaded
or unverified result. Two processes filling the same key at once at
worst make a reader see a hash mismatch, i.e. one more miss.

The returned :class:`CachedFitResult` is a ``FitResult`` with one extra field ``cache``
(:class:`CacheInfo`: ``status`` "hit" | "miss" | "disabled", ``key``, ``entry``); the
``Diagnostics`` object is untouched, so ``Diagnostics.to_dict()`` is unchanged. On a hit the
diagnostics are those of the original fit (``sampling_seconds`` included) and the draws are
bit-identical to it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import arviz as az
import numpy as np

from reference_models import sampling
from reference_models.backends import get_backend
from reference_models.base import ReferenceModel
from reference_models.sampling import (
    ConvergenceGate,
    Diagnostics,
    FitResult,
    SamplerSettings,
    resolve_backend,
)

FORMAT = 2
VERSIONED_PACKAGES = ("numpy", "pymc", "pytensor", "arviz")
_ENGINE = "h5netcdf"
DEFAULT_SETTINGS = SamplerSettings()
DEFAULT_GATE = ConvergenceGate()


@dataclass(frozen=True)
class CacheInfo:
    """How a fit was obtained: ``status`` "hit" (read from ``entry``), "miss" (sampled, then
    stored at ``entry``) or "disabled" (``cache_dir=None``: sampled, nothing stored)."""

    status: Literal["hit", "miss", "disabled"]
    key: str
    entry: Path | None

    @property
    def hit(self) -> bool:
        return self.status == "hit"


@dataclass
class CachedFitResult(FitResult):
    """A :class:`~reference_models.sampling.FitResult` plus how it was obtained."""

    cache: CacheInfo


def cached_fit(
    reference_model: ReferenceModel,
    data: Mapping[str, object],
    *,
    seed: int,
    settings: SamplerSettings = DEFAULT_SETTINGS,
    gate: ConvergenceGate = DEFAULT_GATE,
    cache_dir: Path | str | None,
    build_key: Mapping[str, Any] | None = None,
    progressbar: bool = False,
) -> CachedFitResult:
    """``sampling.fit(...)``, read from / stored in ``cache_dir`` under :func:`fit_key`.

    ``build_key``: the arguments the model was built with (e.g. the kwargs of ``build_once``);
    pass them, since the graph fingerprint does not see every build argument. Invalid data
    raise ``ReferenceDataError`` before the cache is touched.
    """
    manifest = fit_manifest(
        reference_model, data, seed=seed, settings=settings, gate=gate, build_key=build_key
    )
    key = _digest(manifest)
    if cache_dir is None:
        result = sampling.fit(
            reference_model,
            data,
            seed=seed,
            settings=settings,
            gate=gate,
            progressbar=progressbar,
        )
        return _with_cache(result, CacheInfo("disabled", key, None))
    directory = Path(cache_dir)
    nc_path, json_path = directory / f"{key}.nc", directory / f"{key}.json"
    loaded = _load(key, nc_path, json_path)
    if loaded is not None:
        idata, diagnostics = loaded
        result = FitResult(idata=idata, diagnostics=diagnostics, seed=seed, settings=settings)
        return _with_cache(result, CacheInfo("hit", key, json_path))
    result = sampling.fit(
        reference_model, data, seed=seed, settings=settings, gate=gate, progressbar=progressbar
    )
    stored = _store(key, manifest, result, directory, nc_path, json_path)
    return _with_cache(result, CacheInfo("miss", key, json_path if stored else None))


def fit_key(
    reference_model: ReferenceModel,
    data: Mapping[str, object],
    *,
    seed: int,
    settings: SamplerSettings = DEFAULT_SETTINGS,
    gate: ConvergenceGate = DEFAULT_GATE,
    build_key: Mapping[str, Any] | None = None,
) -> str:
    """Hex SHA-256 of :func:`canonical_json` of :func:`fit_manifest` (see the module doc)."""
    return _digest(
        fit_manifest(
            reference_model, data, seed=seed, settings=settings, gate=gate, build_key=build_key
        )
    )


def fit_manifest(
    reference_model: ReferenceModel,
    data: Mapping[str, object],
    *,
    seed: int,
    settings: SamplerSettings = DEFAULT_SETTINGS,
    gate: ConvergenceGate = DEFAULT_GATE,
    build_key: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a fit depends on, as plain JSON-ready values (hashed by :func:`fit_key`)."""
    prepared = reference_model.prepare(data)
    backend = resolve_backend(settings.backend)
    packages = (*VERSIONED_PACKAGES, *get_backend(backend).packages)
    return {
        "format": FORMAT,
        "model": {
            "name": reference_model.name,
            "build_key": _plain(dict(build_key) if build_key is not None else None),
            "graph_sha256": get_backend(backend).fingerprint(reference_model),
        },
        "data": {name: _array_digest(prepared[name]) for name in sorted(prepared)},
        "seed": _plain(seed),
        "settings": _plain(dataclasses.replace(settings, backend=backend)),
        "gate": _plain(gate),
        "versions": {p: str(importlib.import_module(p).__version__) for p in packages},
    }


def canonical_json(value: Any) -> str:
    """Sorted-key, whitespace-free JSON of ``value`` after :func:`_plain`."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """Plain JSON values; dataclasses carry their class name, arrays their dtype/shape/hash."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _array_digest(value)}
    if isinstance(value, np.generic):
        return {"__numpy__": value.dtype.str, "value": value.item()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__qualname__, **_plain(dataclasses.asdict(value))}
    if isinstance(value, Mapping):
        keys = [str(k) for k in value]
        if len(set(keys)) != len(keys):
            raise TypeError(f"mapping keys collide as strings: {list(value)}")
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot hash a {type(value).__name__} into a cache key: {value!r}")


def _digest(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(manifest).encode()).hexdigest()


def _array_digest(array: np.ndarray) -> dict[str, Any]:
    contiguous = np.ascontiguousarray(array)
    return {
        "dtype": contiguous.dtype.str,
        "shape": list(contiguous.shape),
        "sha256": hashlib.sha256(contiguous.tobytes()).hexdigest(),
    }


def _with_cache(result: FitResult, info: CacheInfo) -> CachedFitResult:
    return CachedFitResult(
        idata=result.idata,
        diagnostics=result.diagnostics,
        seed=result.seed,
        settings=result.settings,
        cache=info,
    )


def _file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _load(key: str, nc_path: Path, json_path: Path) -> tuple[az.InferenceData, Diagnostics] | None:
    """The entry's (idata, diagnostics), or None when absent or unreadable (with a warning)."""
    if not json_path.exists():
        return None
    try:
        record = json.loads(json_path.read_text())
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise ValueError(f"not a format-{FORMAT} record")
        body = {name: value for name, value in record.items() if name != "record_sha256"}
        if record.get("record_sha256") != _digest(body):
            raise ValueError(f"{json_path.name} does not match its record_sha256 (edited?)")
        if record["key"] != key or _digest(record["manifest"]) != key:
            raise ValueError(f"{json_path.name} holds the entry of another key")
        if _file_sha256(nc_path) != record["netcdf_sha256"]:
            raise ValueError(f"{nc_path.name} does not match its recorded SHA-256")
        with az.rc_context({"data.load": "eager"}):
            idata = az.from_netcdf(nc_path, engine=_ENGINE)
        diagnostics = Diagnostics(**record["diagnostics"])
    except Exception as error:  # any unreadable entry is a miss, never a crash
        warnings.warn(
            f"fit cache entry {key} is unreadable, refitting: {type(error).__name__}: {error}",
            UserWarning,
            stacklevel=3,
        )
        return None
    return idata, diagnostics


def _store(
    key: str,
    manifest: dict[str, Any],
    result: FitResult,
    directory: Path,
    nc_path: Path,
    json_path: Path,
) -> bool:
    """Write the entry atomically (temp file + os.replace, netCDF then JSON); False on failure."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _temporary(directory, ".nc") as tmp:
            result.idata.to_netcdf(str(tmp), engine=_ENGINE)
            digest = _file_sha256(tmp)
            os.replace(tmp, nc_path)
        record = {
            "format": FORMAT,
            "key": key,
            "netcdf_sha256": digest,
            "diagnostics": result.diagnostics.to_dict(),
            "manifest": manifest,
        }
        record["record_sha256"] = _digest(record)
        with _temporary(directory, ".json") as tmp:
            tmp.write_text(json.dumps(record, sort_keys=True, indent=1))
            os.replace(tmp, json_path)
    except OSError as error:
        warnings.warn(f"fit cache entry {key} not stored: {error}", UserWarning, stacklevel=3)
        return False
    return True


@contextlib.contextmanager
def _temporary(directory: Path, suffix: str):
    """A fresh temporary path in ``directory``, removed afterwards unless moved away."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
