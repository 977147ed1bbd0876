"""Strict state loading, one rule for every estimator (``online._state.strict_loader``):
NaN/inf, negative integers, string numbers, bools for numbers, unsorted window timestamps,
missing config fields and extra keys are refused with StateDictError; an untampered state
restores exactly."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from online.errors import StateDictError
from online.testing import CONTRACTS, contract, warm, with_value


def leaves(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, value) of every number in ``value``, depth first."""
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in leaves(value[k], (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in leaves(v, (*path, i))]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [(path, value)]
    return []


setting = with_value


def first(data: dict, of_type: type) -> tuple:
    found = [p for p, v in leaves(data["state"]) if type(v) is of_type and "config" not in p]
    assert found, f"no {of_type.__name__} in the state"
    return ("state", *found[0])


def window_timestamps(data: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every ``timestamps`` list with two distinct entries."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "timestamps" and isinstance(v, list) and len(set(v)) >= 2:
                out.append((*path, k))
            else:
                out += window_timestamps(v, (*path, k))
    return out


TAMPER = {
    "NaN": lambda d: setting(d, first(d, float), float("nan")),
    "inf": lambda d: setting(d, first(d, float), float("inf")),
    "string number": lambda d: setting(d, first(d, float), repr(first_value(d, float))),
    "negative count": lambda d: setting(d, first(d, int), -1),
    "bool for a number": lambda d: setting(d, first(d, int), True),
    "int for a float": lambda d: setting(d, first(d, float), int(first_value(d, float))),
    "missing config field": lambda d: {**d, "config": dict(list(d["config"].items())[1:])},
    "extra state key": lambda d: {**d, "state": {**d["state"], "surplus": 1.0}},
}


def first_value(data: dict, of_type: type) -> Any:
    target = data
    for key in first(data, of_type):
        target = target[key]
    return target


@pytest.fixture(scope="module", params=CONTRACTS, ids=[s.id for s in CONTRACTS])
def saved(request) -> tuple[type, dict]:
    est, _ = warm(request.param, 400, seed=5)
    return type(est), json.loads(json.dumps(est.state_dict(), allow_nan=False))


def test_untampered_state_restores_exactly(saved):
    cls, data = saved
    assert cls.from_state_dict(copy.deepcopy(data)).state_dict() == data


@pytest.mark.parametrize("tamper", list(TAMPER))
def test_tampered_state_is_refused(saved, tamper):
    cls, data = saved
    bad = TAMPER[tamper](data)
    assert json.dumps(bad, sort_keys=True) != json.dumps(data, sort_keys=True)
    with pytest.raises(StateDictError):
        cls.from_state_dict(bad)


def test_unsorted_window_timestamps_are_refused(saved):
    cls, data = saved
    paths = window_timestamps(data)
    if not paths:
        pytest.skip(f"{cls.__name__} keeps no time window")
    for path in paths:
        stamps = first_value_at(data, path)
        with pytest.raises(StateDictError, match="out of order"):
            cls.from_state_dict(setting(data, path, list(reversed(stamps))))


def first_value_at(data: dict, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


def test_every_tampering_was_accepted_before_strict_loading():
    """The known-bad loader: without the shared rule, these same tamperings load silently
    (shown on the microprice, whose loader converts with float()/int())."""
    from online.microprice import MicropriceEstimator

    est, _ = warm(next(s for s in CONTRACTS if s.name == "MicropriceEstimator"), 400, seed=5)
    data = json.loads(json.dumps(est.state_dict()))
    lenient = MicropriceEstimator.from_state_dict.__wrapped__
    accepted = 0
    for tamper in ("NaN", "inf", "string number", "negative count", "missing config field"):
        lenient(MicropriceEstimator, TAMPER[tamper](data))
        accepted += 1
    assert accepted == 5


def test_microprice_pending_out_of_time_order_is_refused():
    est, _ = warm(next(s for s in CONTRACTS if s.name == "MicropriceEstimator"), 400, seed=5)
    data = json.loads(json.dumps(est.state_dict()))
    late = data["state"]["pending"][-1]
    early = [late[0] - 1, *late[1:]]
    in_order = setting(data, ("state", "pending"), [early, late])
    assert type(est).from_state_dict(in_order).pending_count == 2  # control
    with pytest.raises(StateDictError, match="out of time order"):
        type(est).from_state_dict(setting(data, ("state", "pending"), [late, early]))


@pytest.mark.parametrize(
    ("name", "path", "value", "message"),
    [
        ("TickEWMAVariance", ("variance",), -1e-8, "state.variance: -1e-08"),
        ("HierarchicalKappa", ("market_conf",), 1.5, "state.market_conf: 1.5"),
        ("HierarchicalKappa", ("market_kappa",), 0.0, "state.market_kappa: 0.0"),
        ("VolumeClock", ("threshold",), -100.0, "state.threshold: -100.0"),
        ("VolumeClock", ("last_bucket", "vwap"), -0.0, "state.last_bucket: last bucket with"),
        ("ParameterCovariance", ("c_ss",), -1e-30, "state.c_ss: -1e-30"),
        ("SoftJumpClassifier", ("s_jump",), 0.0, "state.s_jump: 0.0 is not > 0.0"),
        ("SoftJumpClassifier", ("n_jump",), 1.0, "n_jump=1.0: must be < 1"),
        ("MicropriceEstimator", ("flow_den",), 0.0, "flow_den=0.0 after"),
        ("MicropriceEstimator", ("mid",), None, "pending observations but no mid"),
        ("MicropriceEstimator", ("pending", 0, 2), -1e300, "mid, imbalance or flow out of range"),
    ],
)
def test_a_value_outside_its_range_is_refused_naming_the_field(name, path, value, message):
    """Each of these was accepted before the ranges were declared; the last-bucket, soft-jump
    and microprice cases then broke the estimator on valid events in the fuzz test's tampering
    (ZeroDivisionError, a math domain error, a non-finite saved state)."""
    est, _ = warm(contract(name), 300, seed=3)
    data = with_value(json.loads(json.dumps(est.state_dict())), ("state", *path), value)
    with pytest.raises(StateDictError, match=re.escape(message)):
        type(est).from_state_dict(data)
