"""Up-front validation of array inputs for the bulk kernels.

Every check raises :class:`InvalidInputError` whose ``field`` names the array and the first bad
index (e.g. ``"x[17]"``) and whose ``value`` is the offending element, so a caller can locate
the bad event. Nothing is computed before all inputs have passed.
"""

from __future__ import annotations

import numpy as np

from online.errors import InvalidInputError


def float_array(field: str, values: object) -> np.ndarray:
    """``values`` as a 1-D contiguous float64 array of finite numbers."""
    try:
        a = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(field, values, f"must be an array of real numbers ({exc})") from exc
    if a.ndim != 1:
        raise InvalidInputError(field, a.shape, "must be one-dimensional")
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(f"{field}[{i}]", a[i], "must be finite")
    return a


def non_negative_array(field: str, values: object) -> np.ndarray:
    """Finite float64 array with every element >= 0."""
    a = float_array(field, values)
    bad = a < 0.0
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(f"{field}[{i}]", a[i], "must be >= 0")
    return a


def positive_array(field: str, values: object) -> np.ndarray:
    """Finite float64 array with every element > 0."""
    a = float_array(field, values)
    bad = a <= 0.0
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(f"{field}[{i}]", a[i], "must be > 0")
    return a


def same_length(field: str, a: np.ndarray, n: int) -> None:
    """Raise unless ``len(a) == n``."""
    if len(a) != n:
        raise InvalidInputError(field, len(a), f"length must equal {n}")


def timestamps_array(field: str, values: object, n: int, last: int | None = None) -> np.ndarray:
    """Integer ms timestamps as int64: length ``n``, >= 0, non-decreasing, none before ``last``.

    Integer-valued floats are accepted (as by the streaming estimators); booleans are not.
    """
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise InvalidInputError(field, raw.shape, "must be one-dimensional")
    same_length(field, raw, n)
    if raw.dtype.kind == "f":
        bad = ~(np.isfinite(raw) & (raw == np.floor(raw)))
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidInputError(f"{field}[{i}]", raw[i], "must be an integer timestamp in ms")
    elif raw.dtype.kind not in "iu" and raw.size:
        raise InvalidInputError(field, raw.dtype, "must be an integer timestamp array in ms")
    t = np.ascontiguousarray(raw, dtype=np.int64)
    neg = t < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise InvalidInputError(f"{field}[{i}]", int(t[i]), "must be >= 0")
    if n and last is not None and t[0] < last:
        raise InvalidInputError(f"{field}[0]", int(t[0]), f"goes backwards (last timestamp {last})")
    back = np.diff(t) < 0
    if back.any():
        i = int(np.argmax(back)) + 1
        raise InvalidInputError(
            f"{field}[{i}]", int(t[i]), f"goes backwards (last timestamp {int(t[i - 1])})"
        )
    return t


def overflow(field: str, values: np.ndarray, index: int) -> InvalidInputError:
    """The error for an update at ``index`` whose result would overflow float64."""
    return InvalidInputError(f"{field}[{index}]", values[index], "update would overflow float64")
