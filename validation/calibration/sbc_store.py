"""Resumable on-disk results of a rank SBC: one JSON file per replication.

Layout of a store directory::

    manifest.json        {"key": <sha256 hex>, "description": {...}}
    rep-000000.json      one ReplicationResult per file, written atomically

The key is the sha256 of the canonical JSON of everything a replication's result depends on
(check name, base seed, the per-replication settings, resolved backend, package versions) and
NOT of the number of replications or the test level: replication k's data and MCMC seed depend
only on (base seed, k), so a store of N1 replications is a prefix of a run with N2 > N1 and is
extended, not recomputed. A store whose key differs is refused with
:class:`StoreMismatchError` naming the fields that differ.

Each file is written to a temporary name in the same directory and moved into place with
``os.replace`` (atomic on POSIX), so an interrupted run leaves only complete records.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class StoreMismatchError(ValueError):
    """The store directory holds results of other settings or another seed."""


@dataclass(frozen=True)
class ReplicationResult:
    """One rank-SBC replication.

    Attributes:
        k: replication index (0-based).
        rank: rank of the true kappa among ``n_ranked`` thinned draws (0..n_ranked), or None
            when the fit failed its convergence gate.
        n_ranked: L, the number of thinned draws ranked against.
        usable: the fit passed the gate.
        reasons: why it did not (empty when usable).
        seconds: wall seconds of the replication (simulation, fit, ranking).
        n: number of distances in the data set.
        ess: min(bulk, tail) ESS of kappa.
        sampling_seconds: sampling seconds of the fit (excludes compilation).
    """

    k: int
    rank: int | None
    n_ranked: int
    usable: bool
    reasons: tuple[str, ...]
    seconds: float
    n: int
    ess: float
    sampling_seconds: float

    def to_json(self) -> str:
        """Canonical JSON of the record (floats round-trip exactly)."""
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        return json.dumps(out, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReplicationResult:
        data = json.loads(text)
        data["reasons"] = tuple(data["reasons"])
        return cls(**data)


def store_key(description: dict[str, Any]) -> str:
    """sha256 hex of the canonical JSON of ``description``."""
    canonical = json.dumps(description, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{name}.")
        elif a != b:
            out.append(f"{prefix}{name}: store has {a!r}, this run has {b!r}")
    return out


class SbcStore:
    """A directory of replication results for one (settings, seed) key."""

    def __init__(self, directory: Path | str, description: dict[str, Any]) -> None:
        """Open (creating if needed) the store; raise StoreMismatchError on another key."""
        self.directory = Path(directory)
        self.key = store_key(description)
        self.directory.mkdir(parents=True, exist_ok=True)
        manifest = self.directory / MANIFEST
        if manifest.exists():
            existing = json.loads(manifest.read_text())
            if existing.get("key") != self.key:
                diffs = _differences(existing.get("description", {}), description)
                raise StoreMismatchError(
                    f"store {self.directory} holds results of other settings or seed; use "
                    f"another directory or delete it. Differences: {'; '.join(diffs)}"
                )
        else:
            _atomic_write(manifest, json.dumps({"key": self.key, "description": description}))

    def path(self, k: int) -> Path:
        return self.directory / f"rep-{k:06d}.json"

    def load(self) -> dict[int, ReplicationResult]:
        """Every stored replication, by index."""
        out = {}
        for p in sorted(self.directory.glob("rep-*.json")):
            r = ReplicationResult.from_json(p.read_text())
            out[r.k] = r
        return out

    def append(self, result: ReplicationResult) -> None:
        """Write one replication's record atomically."""
        _atomic_write(self.path(result.k), result.to_json())
