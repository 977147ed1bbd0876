"""Pieces every agreement / exact check shares: timing, calling a candidate, verdicts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from validation.results import CheckResult, Status


class CandidateError(Exception):
    """The candidate raised on valid scenario data; the check reports it as a FAIL."""


def call_candidate(candidate: Callable[..., Any], *args: Any) -> Any:
    """Call ``candidate(*args)``; any exception it raises becomes :class:`CandidateError`.

    A candidate that raises on valid data is a broken candidate, so a check turns this into a
    FAIL (with the error in ``details``) rather than crashing the whole suite.
    """
    try:
        return candidate(*args)
    except Exception as exc:  # any failure of the candidate is its verdict
        raise CandidateError(f"{type(exc).__name__}: {exc}") from exc


class Timer:
    """Wall-clock seconds since construction."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start


def fail_result(
    name: str, seed: int, reason: str, false_alarm_rate: float, timer: Timer, **details: Any
) -> CheckResult:
    """A FAIL whose statistic is +inf (the candidate's output was unusable)."""
    return CheckResult(
        name=name,
        status=Status.FAIL,
        statistic=float("inf"),
        threshold=1.0,
        details={"reason": reason, **details},
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=false_alarm_rate,
    )
