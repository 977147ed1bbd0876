"""Argument checks shared by the estimators. Each raises :class:`InvalidInputError`."""

from __future__ import annotations

import math
from numbers import Integral, Real

from online.errors import InvalidInputError

MAX_TIMESTAMP_MS = 2**53
"""Largest accepted timestamp (ms, about 285 000 years): every timestamp and every difference
of two is exactly representable as a float64, so time decays and durations stay exact."""


def finite(field: str, value: float) -> float:
    """Return ``value`` as float if it is a finite real number."""
    if type(value) is float and math.isfinite(value):  # fast path for the common case
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidInputError(field, value, "must be a real number")
    try:
        x = float(value)
    except (OverflowError, ValueError, TypeError):  # e.g. a Python int beyond float range
        raise InvalidInputError(field, value, "must be finite") from None
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


MAX_KAPPA = 1e100
"""Largest accepted kappa (1 / fraction of the mid): beyond it Gamma quantiles of a prior
centred there overflow; a spread below 1e-100 of the mid is a unit error, not a market."""


def kappa(field: str, value: float) -> float:
    """Return ``value`` if it is a kappa in (0, MAX_KAPPA] (1 / fraction of the mid)."""
    k = positive(field, value)
    if k > MAX_KAPPA:
        raise InvalidInputError(field, value, f"must be <= {MAX_KAPPA:g}")
    return k


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


def confidence(field: str, value: float) -> float:
    """Return ``value`` if it lies in (0, 1] (the weight of a prior, a fit quality).

    >>> confidence("conf", 0.5)
    0.5
    """
    x = positive(field, value)
    if x > 1.0:
        raise InvalidInputError(field, value, "must lie in (0, 1]")
    return x


def timestamp(field: str, value: int, last: int | None) -> int:
    """Return ``value`` as int if it is an integer in [0, MAX_TIMESTAMP_MS] not before ``last``.

    Integers of any type (``int``, NumPy integers) and integral floats are accepted; NaN, inf,
    non-integral values (also NumPy floats, never truncated), bools and values beyond
    MAX_TIMESTAMP_MS raise :class:`InvalidInputError`.

    >>> timestamp("timestamp_ms", 1_000.0, 999)
    1000
    """
    if type(value) is int and 0 <= value <= MAX_TIMESTAMP_MS and (last is None or value >= last):
        return value  # fast path for the common case
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidInputError(field, value, "must be an integer timestamp in ms")
    if isinstance(value, Integral):
        t = int(value)
    else:
        try:
            x = float(value)
        except (OverflowError, ValueError, TypeError):
            raise InvalidInputError(field, value, "must be an integer timestamp in ms") from None
        if not (math.isfinite(x) and x.is_integer()):
            raise InvalidInputError(field, value, "must be an integer timestamp in ms")
        t = int(x)
    if t < 0:
        raise InvalidInputError(field, value, "must be >= 0")
    if t > MAX_TIMESTAMP_MS:
        raise InvalidInputError(field, value, f"must be <= {MAX_TIMESTAMP_MS} (2**53 ms)")
    if last is not None and t < last:
        raise InvalidInputError(field, value, f"goes backwards (last timestamp {last})")
    return t
