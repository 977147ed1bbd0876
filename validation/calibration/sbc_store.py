"""Resumable on-disk results of a rank SBC: one JSON file per replication.

Layout of a store directory::

    manifest.json        {"key": <sha256 hex>, "description": {...}}
    rep-000000.json      {"key": <store key>, "record": {...}, "sha256": <hex>}, atomically

The key is the sha256 of the canonical JSON of everything a replication's result depends on
(check name, base seed, the per-replication settings, resolved backend, package versions) and
NOT of the number of replications or the test level: replication k's data and MCMC seed depend
only on (base seed, k), so a store of N1 replications is a prefix of a run with N2 > N1 and is
extended, not recomputed. A store whose key differs is refused with
:class:`StoreMismatchError` naming the fields that differ.

A record keeps what any test quantity needs, so ranks, levels and thinning can be recomputed
from the store without sampling again (:mod:`validation.calibration.sbc_recompute`): the true
parameters, the simulated data and the L ESS-thinned posterior draws of every parameter (the
same draw positions for all parameters, so joint quantities see joint draws). A record written
before the store kept them (no ``truth``, ``data`` or ``draws``) is refused with
:class:`StoreFormatError` naming the missing fields; it is never re-sampled silently.

Every record is bound to the store: it carries the store key, and ``sha256`` is the sha256 of
the canonical JSON of ``{"key", "record"}``, so the draws, the ``usable`` flag and every other
field the verdict reads are covered. :meth:`SbcStore.load` refuses with
:class:`StoreIntegrityError` (naming the file) a record whose hash does not match (damaged or
edited), whose key is another store's (copied from a run with another seed or settings), or
whose replication index is not the one in its file name; opening refuses a manifest whose key
is not the hash of its description, and a directory holding records but no manifest (they
cannot be attributed to any settings). Refusal, not repair: a verdict must not be computable
from bytes nobody can vouch for.

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


class StoreError(ValueError):
    """A store directory that cannot be used for this run."""


class StoreMismatchError(StoreError):
    """The store directory holds results of other settings or another seed."""


class StoreIntegrityError(StoreError):
    """A store file is damaged, edited, copied from another store, or lacks its manifest."""


class StoreFormatError(StoreError):
    """A verified record that lacks fields this version needs (written by an older version)."""


RECORD_FIELDS = ("truth", "data", "draws")
"""Fields a record needs for ranks to be recomputed from it (absent in older stores)."""


@dataclass(frozen=True)
class ReplicationResult:
    """One rank-SBC replication.

    Attributes:
        k: replication index (0-based).
        n_ranked: L, the number of thinned draws kept per parameter.
        usable: the fit passed the gate.
        reasons: why it did not (empty when usable).
        seconds: wall seconds of the replication (simulation, fit, thinning).
        n: number of observations in the data set.
        ess: the ESS the draws were thinned by (min of bulk and tail ESS over the parameters).
        sampling_seconds: sampling seconds of the fit (excludes compilation).
        truth: the simulated parameters, by name.
        data: the simulated data, by field (e.g. ``"distances"``, fractions of the mid).
        draws: the L ESS-thinned posterior draws of each parameter (the same draw positions
            for every parameter), or None when the fit failed its gate.

    >>> r = ReplicationResult(0, 2, True, (), 0.1, 1, 400.0, 0.05, {"kappa": 2500.0},
    ...                       {"distances": (4e-4,)}, {"kappa": (2000.0, 3000.0)})
    >>> ReplicationResult.from_json(r.to_json()) == r
    True
    """

    k: int
    n_ranked: int
    usable: bool
    reasons: tuple[str, ...]
    seconds: float
    n: int
    ess: float
    sampling_seconds: float
    truth: dict[str, float]
    data: dict[str, tuple[float, ...]]
    draws: dict[str, tuple[float, ...]] | None

    def to_json(self) -> str:
        """Canonical JSON of the record (floats round-trip exactly)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReplicationResult:
        data = json.loads(text)
        data["reasons"] = tuple(data["reasons"])
        data["truth"] = {k: float(v) for k, v in data["truth"].items()}
        data["data"] = {k: tuple(float(x) for x in v) for k, v in data["data"].items()}
        if data["draws"] is not None:
            data["draws"] = {k: tuple(float(x) for x in v) for k, v in data["draws"].items()}
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


def _record_hash(key: str, record: dict[str, Any]) -> str:
    return store_key({"key": key, "record": record})


class SbcStore:
    """A directory of replication results for one (settings, seed) key."""

    def __init__(self, directory: Path | str, description: dict[str, Any]) -> None:
        """Open (creating if needed) the store.

        Raises StoreMismatchError on another key, StoreIntegrityError on an edited manifest or
        on records without a manifest.
        """
        self.directory = Path(directory)
        self.description = description
        self.key = store_key(description)
        self.directory.mkdir(parents=True, exist_ok=True)
        manifest = self.directory / MANIFEST
        if manifest.exists():
            existing = self._read_json(manifest)
            if existing.get("key") != store_key(existing.get("description")):
                raise StoreIntegrityError(
                    f"{manifest}: key is not the hash of its description (edited or damaged)"
                )
            if existing["key"] != self.key:
                diffs = _differences(existing["description"], description)
                raise StoreMismatchError(
                    f"store {self.directory} holds results of other settings or seed; use "
                    f"another directory or delete it. Differences: {'; '.join(diffs)}"
                )
        else:
            orphans = sorted(self.directory.glob("rep-*.json"))
            if orphans:
                raise StoreIntegrityError(
                    f"store {self.directory} holds {len(orphans)} records but no {MANIFEST}: "
                    "their settings and seed are unknown; use another directory or delete it"
                )
            _atomic_write(manifest, json.dumps({"key": self.key, "description": description}))

    @classmethod
    def open_existing(cls, directory: Path | str) -> SbcStore:
        """The store in ``directory`` under the description of its own manifest (nothing is
        created); StoreIntegrityError when there is no manifest or it was edited."""
        manifest = Path(directory) / MANIFEST
        if not manifest.is_file():
            raise StoreIntegrityError(f"{directory}: no {MANIFEST}, not an SBC store")
        description = cls._read_json(manifest).get("description")
        if not isinstance(description, dict):
            raise StoreIntegrityError(f"{manifest}: no description")
        return cls(directory, description)

    def path(self, k: int) -> Path:
        return self.directory / f"rep-{k:06d}.json"

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreIntegrityError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
        if not isinstance(data, dict):
            raise StoreIntegrityError(f"{path}: not a JSON object")
        return data

    def _read_record(self, path: Path) -> ReplicationResult:
        envelope = self._read_json(path)
        record = envelope.get("record")
        if not isinstance(record, dict) or envelope.get("sha256") != _record_hash(
            str(envelope.get("key")), record
        ):
            raise StoreIntegrityError(f"{path}: does not match its sha256 (damaged or edited)")
        if envelope["key"] != self.key:
            raise StoreIntegrityError(
                f"{path}: record of another store (key {str(envelope['key'])[:16]}..., this "
                f"store {self.key[:16]}...), copied from a run with other settings or seed"
            )
        missing = [f for f in RECORD_FIELDS if f not in record]
        if missing:
            raise StoreFormatError(
                f"{path}: record has no {', '.join(missing)} (written before the store kept "
                "the true parameters, data and thinned draws), so its ranks cannot be "
                "recomputed; run again into a new directory"
            )
        try:
            result = ReplicationResult.from_json(json.dumps(record))
            expected_name = self.path(result.k).name
        except (TypeError, KeyError, ValueError) as exc:
            raise StoreIntegrityError(f"{path}: not a replication record ({exc})") from None
        if path.name != expected_name:
            raise StoreIntegrityError(f"{path}: holds replication {result.k}, not its file's")
        return result

    def load(self) -> dict[int, ReplicationResult]:
        """Every stored replication, by index; StoreIntegrityError on any unverifiable file."""
        out = {}
        for p in sorted(self.directory.glob("rep-*.json")):
            r = self._read_record(p)
            out[r.k] = r
        return out

    def append(self, result: ReplicationResult) -> None:
        """Write one replication's record, bound to this store's key, atomically."""
        record = json.loads(result.to_json())
        envelope = {"key": self.key, "record": record, "sha256": _record_hash(self.key, record)}
        _atomic_write(self.path(result.k), json.dumps(envelope, sort_keys=True))
