"""Re-derive a stored rank SBC's ranks and verdict without sampling: other test quantities,
another level alpha, or fewer ranked draws L' (re-thinned from the stored L).

An :class:`~validation.calibration.sbc_store.SbcStore` keeps, per replication, the true
kappa, the simulated distances and the L ESS-thinned draws, and its manifest the settings they
were produced with. :func:`recompute` opens the store under its own manifest (verified: the key
is the hash of the description, every record's sha256 and key), rebuilds the settings, applies
the requested quantities, alpha and L', and calls the same verdict as the runs
(:func:`~validation.calibration.sbc_reference.rank_verdict`), so with unchanged choices it
reproduces the run's ranks and verdict exactly. Ranks among L' < L draws use L' of the stored
draws at evenly spaced positions (still about one effective sample apart or more).

Refused (:class:`~validation.calibration.sbc_store.StoreError`, exit 64 on the command line):
no manifest, an edited or damaged file, records of an older store without draws (the fields
missing are named), or a store with gaps (an interrupted run: resume it first).

Command line: ``python -m validation sbc --store DIR --recompute [--quantities kappa loglik]
[--alpha A] [--thin L']``.

Example::

    >>> from validation.calibration.sbc_recompute import settings_from_description
    >>> from validation.calibration.distributed import store_description
    >>> from validation.calibration.sbc_reference import RankSbcSettings
    >>> s = RankSbcSettings(n_replications=40, n_max=20)
    >>> settings_from_description(store_description(s, seed=3), 40) == s
    True
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from validation.calibration.sbc_reference import (
    RankSbcSettings,
    chi_square_bins,
    rank_verdict,
)
from validation.calibration.sbc_store import SbcStore, StoreError, StoreFormatError
from validation.results import CheckResult
from validation.scenarios import GammaPrior


def settings_from_description(description: dict[str, Any], n_replications: int) -> RankSbcSettings:
    """The run settings a store's manifest describes, with ``n_replications`` (the verdict-only
    fields alpha, max_unusable_fraction and quantities take their defaults).

    Raises:
        StoreFormatError: the description is not one of a gamma_exponential rank SBC.
    """
    try:
        stored = dict(description["settings"])
        stored["model_prior"] = GammaPrior(**stored["model_prior"])
        stored["simulation_prior"] = GammaPrior(**stored["simulation_prior"])
        return RankSbcSettings(n_replications=n_replications, **stored)
    except (KeyError, TypeError) as exc:
        raise StoreFormatError(f"manifest settings not understood ({exc!r})") from None


def recompute(
    store_dir: Path | str,
    *,
    quantities: Sequence[str] | None = None,
    alpha: float | None = None,
    n_ranked: int | None = None,
) -> CheckResult:
    """The verdict of the stored replications 0..N-1 with the given quantities, alpha and
    L' = ``n_ranked`` (None: the run's defaults and the stored L); no sampling.

    Raises:
        StoreError: see the module docstring.
        ValueError: an unknown quantity, alpha outside (0, 1), or L' outside 1..L or with
            L' + 1 not divisible into chi-square bins.
    """
    start = time.perf_counter()
    store = SbcStore.open_existing(store_dir)
    records = store.load()
    if not records:
        raise StoreError(f"store {store_dir}: no replication records")
    n = max(records) + 1
    gaps = sorted(set(range(n)) - set(records))
    if gaps:
        raise StoreError(
            f"store {store_dir}: replications {gaps[:10]} missing of 0..{n - 1} (an "
            "interrupted run): resume it before recomputing"
        )
    settings = settings_from_description(store.description, n)
    changes: dict[str, Any] = {}
    if quantities is not None:
        changes["quantities"] = tuple(quantities)
    if alpha is not None:
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha={alpha!r}: must lie in (0, 1)")
        changes["alpha"] = alpha
    if n_ranked is not None:
        if not 1 <= n_ranked <= settings.n_ranked_draws:
            raise ValueError(
                f"thin={n_ranked}: the store keeps {settings.n_ranked_draws} thinned draws "
                f"per replication; choose 1..{settings.n_ranked_draws}"
            )
        chi_square_bins(n, n_ranked + 1)
        changes["n_ranked_draws"] = n_ranked
    settings = dataclasses.replace(settings, **changes)
    extra = {"recomputed": {"store_dir": str(store_dir), "from_store": n}}
    return rank_verdict(
        records.values(),
        settings,
        int(store.description["seed"]),
        time.perf_counter() - start,
        extra,
        name=str(store.description["check"]),
    )
