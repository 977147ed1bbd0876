"""Argument checks shared by the estimators. Each raises :class:`InvalidInputError`."""

from __future__ import annotations

import math
from numbers import Real

from online.errors import InvalidInputError


def finite(field: str, value: float) -> float:
    """Return ``value`` as float if it is a finite real number."""
    if type(value) is float and math.isfinite(value):  # fast path for the common case
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidInputError(field, value, "must be a real number")
    x = float(value)
    if not math.isfinite(x):
        raise InvalidInputError(field, value, "must be finite")
    return x


def positive(field: str, value: float) -> float:
    """Return ``value`` if it is finite and > 0."""
    if type(value) is float and 0.0 < value < math.inf:
        return value
    x = finite(field, value)
    if x <= 0.0:
        raise InvalidInputError(field, value, "must be > 0")
    return x


def non_negative(field: str, value: float) -> float:
    """Return ``value`` if it is finite and >= 0."""
    if type(value) is float and 0.0 <= value < math.inf:
        return value
    x = finite(field, value)
    if x < 0.0:
        raise InvalidInputError(field, value, "must be >= 0")
    return x


def unit_interval_open(field: str, value: float) -> float:
    """Return ``value`` if it lies strictly inside (0, 1) (e.g. a credible level)."""
    x = finite(field, value)
    if not 0.0 < x < 1.0:
        raise InvalidInputError(field, value, "must lie strictly between 0 and 1")
    return x


def unit_interval_closed(field: str, value: float) -> float:
    """Return ``value`` if it lies in [0, 1] (e.g. a probability or confidence)."""
    x = finite(field, value)
    if not 0.0 <= x <= 1.0:
        raise InvalidInputError(field, value, "must lie in [0, 1]")
    return x


def timestamp(field: str, value: int, last: int | None) -> int:
    """Return ``value`` as int if it is a non-negative integer not before ``last`` (ms)."""
    if isinstance(value, bool) or not isinstance(value, int | Real):
        raise InvalidInputError(field, value, "must be an integer timestamp in ms")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise InvalidInputError(field, value, "must be an integer timestamp in ms")
    t = int(value)
    if t < 0:
        raise InvalidInputError(field, value, "must be >= 0")
    if last is not None and t < last:
        raise InvalidInputError(field, value, f"goes backwards (last timestamp {last})")
    return t
