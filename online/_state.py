"""Helpers for ``state_dict()`` / ``from_state_dict()``.

A state dict is a JSON-serialisable ``dict`` of the form
``{"kind": <class name>, "version": 1, "config": {...}, "state": {...}}``. Python's ``json``
writes floats with ``repr`` so a round trip through JSON is exact.

Strict loading is one rule for every estimator, applied by the :func:`strict_loader`
decorator on each ``from_state_dict``. A state dict is accepted only when

1. it is strict JSON: ``json.dumps(data, allow_nan=False)`` succeeds (no NaN or inf, no NumPy
   scalars or other non-JSON objects);
2. every integer in it lies in [0, 2**53] (integers in states and configs are counts,
   timestamps in ms and window lengths, all exact as float64);
3. restoring it and saving again gives it back exactly, compared as canonical JSON: a string
   where a number belongs (``"1.5"``), ``1`` for ``1.0`` or ``True`` for ``1``, a missing
   config field the loader would fill with the production default, or an extra key all
   differ from what the restored estimator saves, and are refused;

and any error the loader raises on malformed content is re-raised as :class:`StateDictError`.
Semantic invariants a round trip cannot see live where the data structure is defined (e.g.
:meth:`online.rolling_sums.RollingWindow.from_state` refuses unsorted timestamps).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from online.errors import StateDictError

STATE_VERSION = 1
MAX_INT = 2**53

C = TypeVar("C")
T = TypeVar("T")


def plain(value: Any) -> Any:
    """``value`` with NumPy scalars replaced by Python numbers (recursively in dicts/lists)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def pack(kind: str, config: object, state: dict[str, Any]) -> dict[str, Any]:
    """Build a state dict for estimator ``kind`` with a dataclass ``config``."""
    return {
        "kind": kind,
        "version": STATE_VERSION,
        "config": plain(dataclasses.asdict(config)),  # type: ignore[call-overload]
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
    except (KeyError, TypeError, ValueError) as exc:
        raise StateDictError(f"malformed state dict for {kind}: {exc}") from exc
    return config, state


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _bad_int(value: Any, path: str) -> str | None:
    """Path of the first integer outside [0, 2**53] in ``value``, or None."""
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_INT:
        return path
    if isinstance(value, dict | list | tuple):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found = _bad_int(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    return None


def _difference(given: Any, saved: Any, path: str) -> str:
    """Path of the first place where ``given`` and ``saved`` differ (as JSON)."""
    if isinstance(given, dict) and isinstance(saved, dict):
        for key in sorted(set(given) | set(saved), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in given:
                return f"{where} is missing"
            if key not in saved:
                return f"{where} is not a field"
            if _canonical(given[key]) != _canonical(saved[key]):
                return _difference(given[key], saved[key], where)
    if (
        isinstance(given, list | tuple)
        and isinstance(saved, list | tuple)
        and len(given) == len(saved)
    ):
        for i, (a, b) in enumerate(zip(given, saved, strict=True)):
            if _canonical(a) != _canonical(b):
                return _difference(a, b, f"{path}[{i}]")
    return f"{path}={given!r} (restores as {saved!r})"


def strict_loader(load: Callable[[type[T], dict[str, Any]], T]) -> Callable[..., T]:
    """Wrap a ``from_state_dict`` classmethod body with the strict rule of the module doc.

    Example::

        @classmethod
        @strict_loader
        def from_state_dict(cls, data): ...
    """

    @functools.wraps(load)
    def wrapper(cls: type[T], data: dict[str, Any]) -> T:
        name = cls.__name__
        try:
            given = _canonical(data)
        except (TypeError, ValueError) as exc:
            raise StateDictError(f"{name} state dict is not strict JSON: {exc}") from None
        bad_int = _bad_int(data, "")
        if bad_int is not None:
            raise StateDictError(f"{name} state dict: {bad_int} is an integer outside [0, 2**53]")
        try:
            obj = load(cls, data)
            saved = obj.state_dict()  # type: ignore[attr-defined]
        except StateDictError:
            raise
        except (
            KeyError,
            TypeError,
            ValueError,
            IndexError,
            AttributeError,
            OverflowError,
            ZeroDivisionError,
        ) as exc:
            raise StateDictError(f"malformed {name} state: {type(exc).__name__}: {exc}") from exc
        if _canonical(plain(saved)) != given:
            where = _difference(json.loads(given), json.loads(_canonical(plain(saved))), "")
            raise StateDictError(f"{name} state dict is not one it saves: {where}")
        return obj

    return wrapper
