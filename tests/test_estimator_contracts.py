"""The contract harness (online.testing) over every public estimator, and proof that each of
its checks fails on an estimator that breaks the property it checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import online
from online import bulk
from online.errors import InvalidInputError
from online.ewma import HybridEWMA, TickEWMA, TickEWMAVariance
from online.protocols import JumpClassifier, MarketKappa, OwnKappa, TimedVariance
from online.serialization import Scalar
from online.testing import (
    CHECKS,
    CONTRACTS,
    BulkKernel,
    ContractViolation,
    EstimatorContract,
    check_bad_input_leaves_state_unchanged,
    check_bulk_equals_streaming,
    check_estimator,
    check_round_trip_continues,
    check_strict_loading,
    contract,
    public_estimators,
)


def test_every_public_estimator_has_a_contract():
    covered = {c.name for c in CONTRACTS}
    public = {cls.__name__ for cls in public_estimators()}
    assert public - covered == set(), "public estimators without a contract"
    assert covered - public == set(), "contracts for classes that are not public estimators"
    assert len(public) == 19
    assert len({c.id for c in CONTRACTS}) == len(CONTRACTS)


def test_every_estimator_with_a_bulk_kernel_is_checked_against_it():
    with_kernel = {c.name for c in CONTRACTS if c.bulk is not None}
    assert with_kernel == {
        "TickEWMA",
        "TickEWMAVariance",
        "HybridEWMA",
        "ParameterCovariance",
        "ConjugateBayesianKappa",
        "SoftJumpClassifier",
    }


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
@pytest.mark.parametrize("estimator", CONTRACTS, ids=[c.id for c in CONTRACTS])
def test_contract(estimator, check):
    checked = check(estimator)
    if check is check_bulk_equals_streaming and estimator.bulk is None:
        assert checked == 0
    else:
        assert checked > 0


@pytest.mark.parametrize(
    ("role", "v2", "v1"),
    [
        (MarketKappa, online.ConjugateBayesianKappa(), online.VolumeWeightedKappa()),
        (OwnKappa, online.HierarchicalKappa(), online.LinearBlendKappa()),
        (JumpClassifier, online.SoftJumpClassifier(1e-3), online.BinaryJumpClassifier(1e-3)),
    ],
    ids=lambda x: x.__name__ if isinstance(x, type) else "",
)
def test_v2_and_v1_estimators_fit_their_role(role, v2, v1):
    assert isinstance(v2, role) and isinstance(v1, role)
    assert not isinstance(online.TickEWMA(5.0), role)


def test_one_second_variance_fits_its_role_and_tick_ewma_does_not():
    assert isinstance(online.OneSecondEWMAVariance(), TimedVariance)
    assert not isinstance(online.TickEWMAVariance(5.0), TimedVariance)


def test_legacy_variant_runs_the_v1_components():
    v1 = next(c for c in CONTRACTS if c.variant == "legacy_v1").make()
    assert type(v1._market).__name__ == "VolumeWeightedKappa"
    assert type(v1._own).__name__ == "LinearBlendKappa"


# ------------------------------------------------------------------ the checks can fail
class _MutatesBeforeChecking(TickEWMA):
    __slots__ = ()

    def update(self, observation: float) -> None:
        self._count += 1  # counted before the observation is validated
        super().update(observation)
        self._count -= 1


class _AcceptsNaN(TickEWMA):
    __slots__ = ()

    def update(self, observation: float) -> None:
        if observation == observation:
            super().update(observation)


class _NamesAnotherField(TickEWMA):
    __slots__ = ()

    def update(self, observation: float) -> None:
        try:
            super().update(observation)
        except InvalidInputError as exc:
            raise InvalidInputError("value", observation, exc.reason) from None


class _ForgetsWeight(HybridEWMA):
    """Saves every field but the weight sum: a restored copy restarts the weights."""

    __slots__ = ()
    _state_fields = tuple(f for f in HybridEWMA._state_fields if f.key != "weight_sum")


class _Unchecked(Scalar):
    """Declares a range and does not enforce it."""

    def load(self, data, fresh, owner):
        return None if data is None else float(data)


class _LoadsNegativeVariance(TickEWMAVariance):
    __slots__ = ()
    _state_fields = tuple(
        dataclasses.replace(f, codec=_Unchecked(float, optional=True, minimum=0.0))
        if f.key == "variance"
        else f
        for f in TickEWMAVariance._state_fields
    )


def _like(name: str, make) -> EstimatorContract:
    """The contract of ``name`` with another factory."""
    return dataclasses.replace(contract(name), make=make)


def test_bad_input_check_fails_on_a_state_change_an_accepted_nan_and_a_wrong_field():
    check_bad_input_leaves_state_unchanged(contract("TickEWMA"))  # control
    with pytest.raises(ContractViolation, match="changed the state"):
        check_bad_input_leaves_state_unchanged(
            _like("TickEWMA", lambda: _MutatesBeforeChecking(20.0))
        )
    with pytest.raises(ContractViolation, match="was accepted"):
        check_bad_input_leaves_state_unchanged(_like("TickEWMA", lambda: _AcceptsNaN(20.0)))
    with pytest.raises(ContractViolation, match="names 'value'"):
        check_bad_input_leaves_state_unchanged(_like("TickEWMA", lambda: _NamesAnotherField(20.0)))


class _SkipsInvariants(online.MicropriceEstimator):
    def _check_state(self) -> None:
        pass


def test_strict_loading_check_fails_when_a_stated_invariant_is_not_checked():
    assert check_strict_loading(contract("MicropriceEstimator")) > 0  # control
    with pytest.raises(ContractViolation, match=r"state\.flow_den = 0\.0, an invariant broken"):
        check_strict_loading(_like("MicropriceEstimator", _SkipsInvariants))


def test_strict_loading_check_fails_on_a_declared_range_that_is_not_enforced():
    assert check_strict_loading(contract("TickEWMAVariance")) > 0  # control
    with pytest.raises(ContractViolation, match=r"state\.variance = -1\.0, outside its range"):
        check_strict_loading(_like("TickEWMAVariance", lambda: _LoadsNegativeVariance(20.0)))


def test_round_trip_check_fails_when_a_field_is_not_saved():
    with pytest.raises(ContractViolation, match="diverged"):
        check_round_trip_continues(_like("HybridEWMA", lambda: _ForgetsWeight(20.0, 1000.0)))


def test_bulk_check_fails_on_a_kernel_with_another_half_life():
    tick = contract("TickEWMA")
    off = dataclasses.replace(
        tick.bulk,
        run=lambda e, calls: (
            bulk.tick_ewma([c[0] for c in calls], e.config.half_life_ticks * 1.001, e.value),
        ),
    )
    with pytest.raises(ContractViolation, match="bulk kernel differs"):
        check_bulk_equals_streaming(dataclasses.replace(tick, bulk=off))


def test_check_estimator_names_a_class_without_contract():
    with pytest.raises(KeyError, match="no contract"):
        check_estimator(online.GammaPosterior)
    assert isinstance(contract(online.TickEWMA).bulk, BulkKernel)


def test_config_check_fails_on_a_config_that_accepts_nan_or_names_another_field():
    from online.testing import ContractViolation, check_config_rejects_bad_values, contract

    @dataclasses.dataclass(frozen=True)
    class LaxConfig:  # validates nothing
        half_life_ticks: float = 20.0

    @dataclasses.dataclass(frozen=True)
    class MisnamedConfig:
        window: float = 1.0

        def __post_init__(self):
            if self.window != self.window:
                raise InvalidInputError("other", self.window, "must be finite")

    class Holder:
        def __init__(self, config):
            self.config = config

    tick = contract("TickEWMA")
    assert check_config_rejects_bad_values(tick) == 1
    lax = dataclasses.replace(tick, make=lambda: Holder(LaxConfig()))
    with pytest.raises(ContractViolation, match="accepted an invalid value"):
        check_config_rejects_bad_values(lax)
    misnamed = dataclasses.replace(tick, make=lambda: Holder(MisnamedConfig()))
    with pytest.raises(ContractViolation, match="error names 'other'"):
        check_config_rejects_bad_values(misnamed)


def test_bulk_check_fails_on_a_kernel_that_lets_nan_through():
    tick = contract("TickEWMA")

    def unchecked(e, calls):  # the streaming loop as arrays, no up-front validation
        copy = type(e).from_state_dict(e.state_dict())
        out = []
        for (x,) in calls:
            copy._value = x if copy.value is None else copy.value + copy.alpha * (x - copy.value)
            out.append(copy._value)
        return (np.array(out),)

    lax = dataclasses.replace(tick.bulk, run=unchecked)
    with pytest.raises(ContractViolation, match="accepted NaN in column 0"):
        check_bulk_equals_streaming(dataclasses.replace(tick, bulk=lax))


def test_interpreted_kernel_check_fails_when_the_python_source_differs(monkeypatch):
    from validation.endtoend.estimator_contracts import run_estimator_contracts

    tick = contract("TickEWMA")
    compiled = bulk.ewma._tick_kernel
    py = compiled.py_func

    def drifting(x, alpha, value, started, out):  # the source with another decay
        return py(x, alpha * 1.001, value, started, out)

    monkeypatch.setattr(compiled, "py_func", drifting, raising=False)
    res = run_estimator_contracts([tick], 0)
    assert any("interpreted kernel" in p for p in res.details["problems"])
