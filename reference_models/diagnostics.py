"""Convergence diagnostics of a fit and the gate that decides whether it is usable.

Every backend returns an ``arviz.InferenceData`` with the model's variables in ``posterior``
and ``sample_stats.diverging``, so one function serves them all:

- R-hat (rank-normalised split R-hat, ``az.rhat``), the maximum over each variable's elements;
- bulk and tail ESS (``az.ess(method="bulk" | "tail")``), the minimum over each variable's
  elements;
- the number of divergent transitions after tuning (``sample_stats.diverging``).

A :class:`ConvergenceGate` turns these into ``usable`` plus the reasons when it is not; a check
built on an unusable fit is inconclusive, never passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import arviz as az
import numpy as np


@dataclass(frozen=True)
class ConvergenceGate:
    """Thresholds a fit must meet to be usable as ground truth."""

    max_rhat: float = 1.01
    min_ess_bulk: float = 400
    min_ess_tail: float = 400
    max_divergences: int = 0

    def reasons(
        self,
        rhat: Mapping[str, float],
        ess_bulk: Mapping[str, float],
        ess_tail: Mapping[str, float],
        divergences: int,
    ) -> list[str]:
        """Why a fit with these diagnostics fails the gate (empty when it passes).

        A NaN statistic fails (e.g. a variable that never moved).
        """
        out = [
            f"rhat[{v}]={x:.4g} > {self.max_rhat}"
            for v, x in rhat.items()
            if not x <= self.max_rhat
        ]
        out += [
            f"ess_bulk[{v}]={x:.4g} < {self.min_ess_bulk}"
            for v, x in ess_bulk.items()
            if not x >= self.min_ess_bulk
        ]
        out += [
            f"ess_tail[{v}]={x:.4g} < {self.min_ess_tail}"
            for v, x in ess_tail.items()
            if not x >= self.min_ess_tail
        ]
        if divergences > self.max_divergences:
            out.append(f"divergences={divergences} > {self.max_divergences}")
        return out


@dataclass
class Diagnostics:
    """Convergence diagnostics of one fit; ``sampling_seconds`` excludes one-time compilation."""

    rhat: dict[str, float]
    ess_bulk: dict[str, float]
    ess_tail: dict[str, float]
    divergences: int
    sampling_seconds: float
    backend: str
    usable: bool
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready copy (plain dicts, lists, floats and strings)."""
        return asdict(self)


def diagnose(
    idata: az.InferenceData,
    gate: ConvergenceGate,
    *,
    sampling_seconds: float,
    backend: str,
) -> Diagnostics:
    """R-hat, bulk/tail ESS per posterior variable, divergences, and the gate's verdict."""
    posterior = idata.posterior
    rhat = _reduce(az.rhat(posterior), np.max)
    ess_bulk = _reduce(az.ess(posterior, method="bulk"), np.min)
    ess_tail = _reduce(az.ess(posterior, method="tail"), np.min)
    divergences = int(idata.sample_stats["diverging"].values.sum())
    reasons = gate.reasons(rhat, ess_bulk, ess_tail, divergences)
    return Diagnostics(
        rhat=rhat,
        ess_bulk=ess_bulk,
        ess_tail=ess_tail,
        divergences=divergences,
        sampling_seconds=float(sampling_seconds),
        backend=backend,
        usable=not reasons,
        reasons=reasons,
    )


def _reduce(dataset, how) -> dict[str, float]:
    return {str(name): float(how(da.values)) for name, da in dataset.data_vars.items()}
