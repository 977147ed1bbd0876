"""``"contracts.online_estimators"``: every public online estimator keeps its contracts.

Family ``"estimators"``: the candidate is a sequence of :class:`online.testing.EstimatorContract`
(the production one is :data:`online.testing.CONTRACTS`: every public estimator, and the V1
variant of the unified one). For each contract the check requires

* :func:`online.testing.check_estimator`: bad input raises ``InvalidInputError`` naming the
  parameter with ``state_dict()`` unchanged (fresh, warm and restored estimators); a strict-JSON
  round trip, fresh and mid-stream, continues bit-identically for 100 events; the
  :mod:`online.bulk` kernel, from a fresh and from a mid-stream state, equals the streaming
  read-outs after every update;
* the same bulk comparison with every numba kernel replaced by its Python source
  (``py_func``, :func:`interpreted_kernels`): the compiled kernel and the code it was compiled
  from agree with the streaming path;
* **strict loading** (README "Loading is strict"): the saved state of a warm estimator with an
  extra key, a missing config field, a number written as a string, ``true`` for a count, a NaN,
  an integer beyond 2**53, another version or another kind, a list instead of the dict, and a
  saved rolling window with reversed timestamps, a value dropped, or a total or m2 that is not
  that of its values, is refused with ``StateDictError``.

Deterministic (the contracts draw their streams from fixed seeds): stated false-alarm rate 0.

Example::

    >>> from online.testing import CONTRACTS
    >>> tick = [c for c in CONTRACTS if c.name == "TickEWMA"]
    >>> run_estimator_contracts(tick, 0).status.value
    'pass'
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numba

from online import bulk
from online.errors import StateDictError
from online.testing import ContractViolation, EstimatorContract, check_estimator, warm
from online.testing import check_bulk_equals_streaming as bulk_equals_streaming
from validation.agreement._common import Timer
from validation.families import CheckSpec
from validation.results import CheckResult, Status

NAME = "contracts.online_estimators"
_KERNEL_MODULES = (bulk.covariance, bulk.ewma, bulk.kappa, bulk.soft_jump)


@contextmanager
def interpreted_kernels() -> Iterator[list[str]]:
    """Within the block every numba kernel of :mod:`online.bulk` is its Python ``py_func``;
    yields the names replaced."""
    saved: list[tuple[Any, str, Any]] = []
    for module in _KERNEL_MODULES:
        for name, obj in list(vars(module).items()):
            if isinstance(obj, numba.core.registry.CPUDispatcher):
                saved.append((module, name, obj))
                setattr(module, name, obj.py_func)
    try:
        yield [f"{m.__name__}.{n}" for m, n, _ in saved]
    finally:
        for module, name, obj in saved:
            setattr(module, name, obj)


def _first_path(value: Any, want: type, path: tuple = ()) -> tuple | None:
    """Path (keys / indices) to the first value of exact type ``want`` inside ``value``."""
    if type(value) is want:
        return path
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, inner in items:
            found = _first_path(inner, want, (*path, key))
            if found is not None:
                return found
    return None


def _set(data: dict, path: tuple, value: Any) -> dict:
    out = copy.deepcopy(data)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def malformed_states(saved: dict) -> list[tuple[str, Any]]:
    """(what, state dict) pairs that strict loading must refuse, derived from ``saved``."""
    cases: list[tuple[str, Any]] = [
        ("extra key", saved | {"extra": 1}),
        ("other version", saved | {"version": 99}),
        ("other kind", saved | {"kind": "NotAnEstimator"}),
    ]
    if saved["config"]:
        first = next(iter(saved["config"]))
        config = {k: v for k, v in saved["config"].items() if k != first}
        cases.append((f"config.{first} missing", saved | {"config": config}))
    for want, label, replace in (
        (float, "a float as a string", repr),
        (float, "a float as NaN", lambda v: float("nan")),
        (int, "a count as true", lambda v: True),
    ):
        path = _first_path(saved["state"], want, ("state",))
        if path is not None:
            value = saved
            for key in path:
                value = value[key]
            cases.append(
                (f"{label} at {'.'.join(map(str, path))}", _set(saved, path, replace(value)))
            )
    path = _first_path(saved["state"], int, ("state",))
    if path is not None:
        cases.append(("an integer beyond 2**53", _set(saved, path, 2**53 + 1)))
    cases.append(("a list instead of a dict", [saved]))
    window = _window_path(saved["state"], ("state",))
    if window is not None:
        cases += _bad_windows(saved, window)
    return cases


def _window_path(value: Any, path: tuple) -> tuple | None:
    """Path to the first saved rolling window (a dict with timestamps and values) with at
    least two values."""
    if isinstance(value, dict):
        if {"timestamps", "values", "hi"} <= value.keys() and len(value["values"]) >= 2:
            return path
        for key, inner in value.items():
            found = _window_path(inner, (*path, key))
            if found is not None:
                return found
    return None


def _bad_windows(saved: dict, path: tuple) -> list[tuple[str, Any]]:
    """A saved window made inconsistent: timestamps out of order, a value dropped, the total
    off its values, m2 off the values' squared deviations."""
    window = saved
    for key in path:
        window = window[key]
    where = ".".join(map(str, path))
    return [
        (
            f"{where} timestamps reversed",
            _set(saved, (*path, "timestamps"), window["timestamps"][::-1]),
        ),
        (f"{where} a value dropped", _set(saved, (*path, "values"), window["values"][1:])),
        (f"{where} total off", _set(saved, (*path, "hi"), window["hi"] * 2.0 + 1.0)),
        (f"{where} m2 off", _set(saved, (*path, "m2"), window["m2_peak"] * 2.0 + 1.0)),
    ]


def strict_loading_problems(c: EstimatorContract) -> list[str]:
    """What :func:`malformed_states` of a warm estimator the loader accepted."""
    est, _ = warm(c, 120, seed=6)
    saved = json.loads(json.dumps(est.state_dict(), allow_nan=False))
    problems = []
    for what, data in malformed_states(saved):
        try:
            type(est).from_state_dict(data)
        except StateDictError:
            continue
        except Exception as exc:  # any other error is a broken contract too
            problems.append(f"{c.id}: {what} raised {type(exc).__name__}, not StateDictError")
            continue
        problems.append(f"{c.id}: {what} was accepted")
    return problems


def run_estimator_contracts(candidate: Sequence[EstimatorContract], seed: int) -> CheckResult:
    """``seed`` is recorded only: the contracts are deterministic."""
    timer = Timer()
    problems: list[str] = []
    for c in candidate:
        try:
            check_estimator(c)
        except ContractViolation as exc:
            problems.append(f"{c.id}: {exc}")
        problems += strict_loading_problems(c)
    with interpreted_kernels() as replaced:
        for c in candidate:
            if c.bulk is None:
                continue
            try:
                bulk_equals_streaming(c)
            except ContractViolation as exc:
                problems.append(f"{c.id} (interpreted kernel): {exc}")
    return CheckResult(
        name=NAME,
        status=Status.FAIL if problems else Status.PASS,
        statistic=float(len(problems)),
        threshold=0.0,
        details={
            "statistic_name": "number of broken contracts; FAIL when > 0",
            "problems": problems[:30],
            "estimators": [c.id for c in candidate],
            "interpreted_kernels": replaced,
        },
        seed=seed,
        seconds=timer.seconds,
        false_alarm_rate=0.0,
    )


CHECKS = [
    CheckSpec(
        name=NAME,
        family="estimators",
        run=run_estimator_contracts,
        uses_mcmc=False,
        false_alarm_rate=0.0,
        description="every public online estimator: bad input leaves the state unchanged, JSON "
        "round trip continues bit-identically, bulk kernels (compiled and interpreted) equal "
        "streaming, malformed states refused",
    ),
]
