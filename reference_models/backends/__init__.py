"""The MCMC backends behind :func:`reference_models.sampling.fit`, one module per backend.

Each backend module defines ``BACKEND``, an instance of :class:`~reference_models.backends.
base.Backend` (compile once per model, sample one data set, diagnose the draws). Modules are
imported on first use, so e.g. JAX is imported only when the ``"jax"`` backend samples.

- ``"pymc"``: PyMC's NUTS (:mod:`.pymc_nuts`);
- ``"nutpie"``: nutpie on the same PyMC graph (:mod:`.nutpie_nuts`);
- ``"jax"``: BlackJAX NUTS on independent JAX log densities of the same models
  (:mod:`.blackjax_nuts`, densities in :mod:`reference_models.jax_models`);
- ``"auto"``: nutpie when it is importable, else PyMC.

Example::

    >>> from reference_models.backends import get_backend, resolve_backend
    >>> resolve_backend("pymc")
    'pymc'
    >>> get_backend("pymc").name
    'pymc'
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from reference_models.settings import BACKENDS

if TYPE_CHECKING:
    from reference_models.backends.base import Backend

_MODULES = {
    "pymc": "reference_models.backends.pymc_nuts",
    "nutpie": "reference_models.backends.nutpie_nuts",
    "jax": "reference_models.backends.blackjax_nuts",
}
_REQUIRES = {"pymc": ("pymc",), "nutpie": ("nutpie",), "jax": ("jax", "blackjax")}
_EXTRAS = {"pymc": "validation", "nutpie": "test", "jax": "jax"}
__all__ = ["BACKENDS", "get_backend", "is_available", "resolve_backend"]


def is_available(name: str) -> bool:
    """True when the packages backend ``name`` needs are importable (nothing is imported)."""
    _known(name)
    return all(importlib.util.find_spec(p) is not None for p in _REQUIRES[name])


def resolve_backend(backend: str) -> str:
    """``"auto"`` -> ``"nutpie"`` if importable else ``"pymc"``; a named backend must be
    importable (ImportError naming the extra to install)."""
    if backend == "auto":
        return "nutpie" if is_available("nutpie") else "pymc"
    _known(backend)
    if not is_available(backend):
        raise ImportError(
            f"backend={backend!r} needs {', '.join(_REQUIRES[backend])}: "
            f"pip install 'kappa-validation-suite[{_EXTRAS[backend]}]'"
        )
    return backend


def get_backend(name: str) -> Backend:
    """The backend object of a resolved backend name (``"pymc"``, ``"nutpie"``, ``"jax"``)."""
    _known(name)
    return importlib.import_module(_MODULES[name]).BACKEND


def _known(name: str) -> None:
    if name not in _MODULES:
        raise ValueError(f"backend={name!r}: must be one of {BACKENDS}")
