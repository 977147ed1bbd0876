"""Sampler settings shared by :func:`reference_models.sampling.fit` and every backend.

``BACKENDS`` names the backends a fit may ask for (``"auto"`` picks nutpie when it is
importable, else PyMC; :mod:`reference_models.backends` maps the others to their modules).

Example::

    >>> SamplerSettings(draws=500, chains=2).tune
    1000
"""

from __future__ import annotations

from dataclasses import dataclass

BACKENDS = ("auto", "pymc", "nutpie", "jax")


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings; ``draws`` and ``tune`` are per chain, ``cores`` = chains run at once."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    backend: str = "auto"
    cores: int = 1

    def __post_init__(self) -> None:
        if self.draws < 1:
            raise ValueError(f"draws={self.draws}: must be >= 1")
        if self.tune < 0:
            raise ValueError(f"tune={self.tune}: must be >= 0")
        if self.chains < 1:
            raise ValueError(f"chains={self.chains}: must be >= 1")
        if self.cores < 1:
            raise ValueError(f"cores={self.cores}: must be >= 1")
        if not 0.0 < self.target_accept < 1.0:
            raise ValueError(f"target_accept={self.target_accept}: must lie in (0, 1)")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend={self.backend!r}: must be one of {BACKENDS}")
