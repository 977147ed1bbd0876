"""Build each reference model once per process.

Building a PyMC reference model compiles its log density, which is the expensive part; data
are swapped in through ``pm.Data``. ``build_once("gamma_exponential", prior_alpha=5.0,
prior_beta=0.002)`` returns the same :class:`~reference_models.base.ReferenceModel` for the
same module and build arguments, so every check in a process shares one compiled model.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from reference_models.base import ReferenceModel


@functools.cache
def build_once(module: str, **build_kwargs: Any) -> ReferenceModel:
    """``reference_models.<module>.build(**build_kwargs)``, cached per process."""
    return importlib.import_module(f"reference_models.{module}").build(**build_kwargs)
