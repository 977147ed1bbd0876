"""Helpers for ``state_dict()`` / ``from_state_dict()``.

A state dict is a JSON-serialisable ``dict`` of the form
``{"kind": <class name>, "version": 1, "config": {...}, "state": {...}}``. Python's ``json``
writes floats with ``repr`` so a round trip through JSON is exact.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from online.errors import StateDictError

STATE_VERSION = 1

C = TypeVar("C")


def pack(kind: str, config: object, state: dict[str, Any]) -> dict[str, Any]:
    """Build a state dict for estimator ``kind`` with a dataclass ``config``."""
    return {
        "kind": kind,
        "version": STATE_VERSION,
        "config": dataclasses.asdict(config),  # type: ignore[call-overload]
        "state": state,
    }


def unpack(kind: str, config_type: type[C], data: dict[str, Any]) -> tuple[C, dict[str, Any]]:
    """Check ``data`` is a state dict of ``kind`` and return (config, state)."""
    if not isinstance(data, dict):
        raise StateDictError(f"state dict must be a dict, got {type(data).__name__}")
    if data.get("kind") != kind:
        raise StateDictError(f"state dict is for {data.get('kind')!r}, expected {kind!r}")
    if data.get("version") != STATE_VERSION:
        raise StateDictError(f"state dict version {data.get('version')!r} is not supported")
    try:
        config = config_type(**data["config"])
        state = dict(data["state"])
    except (KeyError, TypeError) as exc:
        raise StateDictError(f"malformed state dict for {kind}: {exc}") from exc
    return config, state
