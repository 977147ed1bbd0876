"""Starting a bulk kernel from a live estimator's ``state_dict()``."""

from __future__ import annotations

from typing import Any

from online.errors import InvalidInputError


def restore(cls: type, state: dict[str, Any] | None, args: tuple) -> Any:
    """A fresh ``cls(*args)``, or ``cls.from_state_dict(state)`` if its config matches.

    Building the fresh estimator runs the streaming estimator's own argument checks.

    Raises:
        InvalidInputError: ``state`` holds a different configuration.
        StateDictError: ``state`` is malformed.
    """
    fresh = cls(*args)
    if state is None:
        return fresh
    est = cls.from_state_dict(state)
    if est.config != fresh.config:
        raise InvalidInputError("state", est.config, f"config differs from {fresh.config}")
    return est
