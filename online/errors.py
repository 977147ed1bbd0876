"""Errors raised by the online estimators.

Every rejected input raises :class:`InvalidInputError`, a ``ValueError`` subclass that names
the offending field and value. Estimators validate *before* mutating, so after the exception
their state is exactly what it was before the call.
"""

from __future__ import annotations


class InvalidInputError(ValueError):
    """An input value is outside the domain an estimator accepts.

    Attributes:
        field: name of the argument or config field that was rejected.
        value: the rejected value, as given.
        reason: a short human-readable reason ("must be finite", ...).
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


class StateDictError(ValueError):
    """A state dictionary cannot be restored (wrong kind, version or missing keys)."""
