"""The reference fits every check uses: one compiled model per process, optional disk cache.

``reference_model(module, **build_kwargs)`` builds (compiles) a reference model once per
process. ``fit(model, data, seed=..., settings=...)`` samples it, or, after
``set_fit_cache_dir(DIR)``, first looks the fit up in a disk cache keyed by a content hash of
(model, build arguments, data, seed, settings, gate, package versions), so re-running an
unchanged audit does no MCMC (see :mod:`reference_models.fit_cache`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reference_models.diagnostics import Diagnostics

_build_keys: dict[int, dict[str, Any]] = {}
_cache_dir: Path | None = None


def set_fit_cache_dir(path: Path | str | None) -> None:
    """Cache reference fits under ``path`` (created if needed); ``None`` disables caching."""
    global _cache_dir
    _cache_dir = None if path is None else Path(path)
    if _cache_dir is not None:
        _cache_dir.mkdir(parents=True, exist_ok=True)


def reference_model(module: str, **build_kwargs: Any) -> Any:
    """``reference_models.<module>.build(**build_kwargs)``, shared once per process."""
    from reference_models.cache import build_once

    model = build_once(module, **build_kwargs)
    _build_keys[id(model)] = {"module": module, **build_kwargs}
    return model


def fit(model: Any, data: dict[str, Any], *, seed: int, settings: Any, **kwargs: Any) -> Any:
    """``reference_models.sampling.fit``, through the disk cache when one is set.

    ``model`` must come from :func:`reference_model` so that its build arguments are known.
    """
    from reference_models.fit_cache import cached_fit

    return cached_fit(
        model,
        data,
        seed=seed,
        settings=settings,
        cache_dir=_cache_dir,
        build_key=_build_keys[id(model)],
        **kwargs,
    )


@dataclass(frozen=True)
class McmcRecord:
    """One reference fit as a check's ``details`` carry it: its convergence diagnostics
    (``reference_models.diagnostics.Diagnostics``: backend, R-hat, bulk/tail ESS, divergences,
    gate verdict) and the MCMC seed. The report lists the MCMC backends of a run from these
    parts. JSON: the diagnostics' fields, then ``seed`` and any sampler settings in ``extra``.

    >>> from reference_models.diagnostics import Diagnostics
    >>> d = Diagnostics({}, {}, {}, divergences=0, sampling_seconds=0.5, backend="pymc",
    ...                 usable=True)
    >>> rec = McmcRecord(d, seed=3)
    >>> rec.backend, rec.usable, rec.to_json()["seed"]
    ('pymc', True, 3)
    """

    diagnostics: Diagnostics
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, fit_result: Any, **extra: Any) -> McmcRecord:
        """The record of a ``reference_models.sampling.FitResult`` (``extra``: e.g. draws)."""
        return cls(fit_result.diagnostics, int(fit_result.seed), dict(extra))

    @property
    def backend(self) -> str:
        return self.diagnostics.backend

    @property
    def usable(self) -> bool:
        """Whether the fit passed the convergence gate."""
        return self.diagnostics.usable

    @property
    def reasons(self) -> list[str]:
        """Why it did not (empty when usable)."""
        return self.diagnostics.reasons

    def to_json(self) -> dict[str, Any]:
        return {**self.diagnostics.to_dict(), "seed": self.seed, **self.extra}


@dataclass(frozen=True)
class SamplerRecord:
    """The sampler of a check that runs many reference fits (an SBC): the backend that ran them
    and the NUTS settings per fit (chains x (tune warm-up + draws)).

    >>> SamplerRecord(backend="jax", draws=1000, tune=300, chains=2).chains
    2
    """

    backend: str
    draws: int
    tune: int
    chains: int

    @classmethod
    def of(cls, settings: Any) -> SamplerRecord:
        """The record of SBC settings with ``backend``, ``draws``, ``tune`` and ``chains``
        (``"auto"`` resolved to the backend it picks here)."""
        from reference_models.backends import resolve_backend

        s = settings
        backend = s.backend if s.backend != "auto" else resolve_backend("auto")
        return cls(backend=backend, draws=s.draws, tune=s.tune, chains=s.chains)
