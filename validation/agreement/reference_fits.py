"""The reference fits every check uses: one compiled model per process, optional disk cache.

``reference_model(module, **build_kwargs)`` builds (compiles) a reference model once per
process. ``fit(model, data, seed=..., settings=...)`` samples it, or, after
``set_fit_cache_dir(DIR)``, first looks the fit up in a disk cache keyed by a content hash of
(model, build arguments, data, seed, settings, gate, package versions), so re-running an
unchanged audit does no MCMC (see :mod:`reference_models.fit_cache`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
