"""``"contracts.online_estimators"``: every public online estimator keeps its contracts.

Family ``"estimators"``: the candidate is a sequence of :class:`online.testing.EstimatorContract`
(the production one is :data:`online.testing.CONTRACTS`: every public estimator, and the V1
variant of the unified one). For each contract the check requires

* :func:`online.testing.check_estimator`: bad input raises ``InvalidInputError`` naming the
  parameter with ``state_dict()`` unchanged (fresh, warm and restored estimators); a strict-JSON
  round trip, fresh and mid-stream, continues bit-identically for 100 events; the
  :mod:`online.bulk` kernel, from a fresh and from a mid-stream state, equals the streaming
  read-outs after every update; malformed saved states (an extra key, a missing config field,
  a float as a string or NaN, ``true`` for a count, an integer beyond 2**53, another version
  or kind, inconsistent saved rolling windows) are refused with ``StateDictError``; every
  numeric config field set to NaN (or 2.5 for an integer) is refused naming the field;
* the same bulk comparison with every numba kernel replaced by its Python source
  (``py_func``, :func:`interpreted_kernels`): the compiled kernel and the code it was compiled
  from agree with the streaming path.

Deterministic (the contracts draw their streams from fixed seeds): stated false-alarm rate 0.

Example::

    >>> from online.testing import CONTRACTS
    >>> tick = [c for c in CONTRACTS if c.name == "TickEWMA"]
    >>> run_estimator_contracts(tick, 0).status.value
    'pass'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numba

from online import bulk
from online.testing import ContractViolation, EstimatorContract, check_estimator
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


def run_estimator_contracts(candidate: Sequence[EstimatorContract], seed: int) -> CheckResult:
    """``seed`` is recorded only: the contracts are deterministic."""
    timer = Timer()
    problems: list[str] = []
    for c in candidate:
        try:
            check_estimator(c)
        except ContractViolation as exc:
            problems.append(f"{c.id}: {exc}")
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
