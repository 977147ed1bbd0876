"""Fuzz harness over every public estimator and the unified estimator.

Hypothesis (derandomized: the same examples on every run) draws an estimator, a warm-up of
valid events and a seed; from the seed a call plan mixes valid calls with adversarial ones:
NaN, inf, huge Python ints, NumPy scalars, strings, None, bools, values at the ends of the
float range (1e-300 and 1e300 prices are inside the accepted range of the standalone
estimators), timestamps that go backwards, are non-integral or exceed 2**53, malformed and
extreme books. Invariants after every call:

* the only exception is ``InvalidInputError`` (``StateDictError`` for state loading);
* after a rejection the state dict is byte-identical (canonical JSON) to the one before;
* after an acceptance the state dict is strict JSON (``json.dumps(..., allow_nan=False)``) and
  no read-out is infinite;
* at the end of each example the state survives a JSON round trip exactly, and the original
  and the restored copy stay bit-identical over 5 more valid events.

Tampered state dicts (one leaf replaced by an adversarial value, a key deleted or added) must
be refused with ``StateDictError`` or, if accepted, be strict JSON and save back exactly what
was given. The load rule checks the range each field declares (a variance >= 0, a rate > 0,
``online.serialization.Scalar``) and the invariants an estimator states in ``_check_state``,
but an accepted tampered state can still be inconsistent in ways no range expresses (a sum
of squares of 1.8e308 that overflows on the next update), so accepted states are fed 10 valid
events and the ones that then break an invariant are COUNTED (``tampered_later_violations``,
per estimator), not asserted absent.

A valid call must be accepted, unless an adversarial call was accepted before it (an accepted
observation of 1e300 legitimately makes the squared deviation of the next ordinary one
overflow, which is then rejected with the state unchanged); those are counted.

Default run: >= 10 000 calls in well under a minute (counts printed; run with ``-s``). The
``audit`` run tries >= 100 000: ``python -m pytest -m audit tests/test_fuzz.py -s``.
"""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from online.errors import InvalidInputError, StateDictError
from online.testing import (
    CONTRACTS,
    canonical_state,
    readout_values,
    timestamp_of,
    valid_args,
    valid_value,
    warm,
)
from online.testing import EstimatorContract as Species

NUMBERS: tuple[Any, ...] = (
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    -1.0,
    1e-300,
    5e-324,
    1e300,
    1.7976931348623157e308,
    -1e300,
    10**400,
    -(10**400),
    2**63,
    np.float32("nan"),
    np.float64("inf"),
    np.float32(1.5),
    np.int64(-5),
    np.int64(7),
    np.float16(0.25),
    Fraction(1, 3),
    True,
    None,
    "1.0",
    b"1",
    [1.0],
    complex(1.0, 1.0),
    object(),
)


def bad_timestamps(last: int) -> tuple[Any, ...]:
    return (
        last - 1,
        -1,
        2**53 + 1,
        10**400,
        math.nan,
        math.inf,
        float(last) + 0.5,
        np.float32(last + 0.5),
        np.float64("nan"),
        np.int64(last),
        float(last),
        2**53,
        True,
        "5",
        None,
    )


def bad_book(rng: np.random.Generator) -> list[Any]:
    mid = float(rng.choice([100.0, 1e-300, 1e300, 1e-8, 1e12]))
    half = mid * 1e-4
    steps = mid * 1e-4 * np.arange(1, 6)
    good = [mid - half - steps, np.full(5, 10.0), mid + half + steps, np.full(5, 10.0)]
    k = int(rng.integers(12))
    if k == 0:  # crossed
        good[0], good[2] = good[2], good[0]
    elif k == 1:  # NaN level with a size
        good[0] = good[0].copy()
        good[0][2] = np.nan
    elif k == 2:  # negative size
        good[1] = -good[1]
    elif k == 3:  # unequal lengths
        good[3] = good[3][:3]
    elif k == 4:  # empty side
        good[0], good[1] = np.array([]), np.array([])
    elif k == 5:  # 2-D
        good[2] = np.stack([good[2], good[2]])
    elif k == 6:  # strings
        good[1] = ["10"] * 5
    elif k == 7:  # all sizes 0
        good[1], good[3] = np.zeros(5), np.zeros(5)
    elif k == 8:  # infinite price
        good[2] = good[2].copy()
        good[2][-1] = np.inf
    elif k == 9:  # not a sequence
        good[0] = None
    # k >= 10: a well-formed book at an extreme price level
    return good


def adversarial_args(
    species: Species, method: str, rng: np.random.Generator, last: int
) -> list[Any]:
    """Valid arguments with one (sometimes every) argument replaced by an adversarial one."""
    kinds = species.events[method]
    every = rng.random() < 0.2
    target = int(rng.integers(len(kinds)))
    args: list[Any] = []
    for i, kind in enumerate(kinds):
        values = [] if kind in ("book", "quote") else None
        if not (every or i == target):
            args += valid_value(kind, rng, last)
            continue
        if kind == "ts":
            pool = bad_timestamps(last)
            args.append(pool[int(rng.integers(len(pool)))])
        elif kind == "book":
            args += bad_book(rng)
        elif kind == "quote":
            values = valid_value(kind, rng, last)
            values[int(rng.integers(4))] = NUMBERS[int(rng.integers(len(NUMBERS)))]
            args += values
        else:
            args.append(NUMBERS[int(rng.integers(len(NUMBERS)))])
    return args


class Violation(AssertionError):
    pass


def checked_call(est: Any, species: Species, method: str, args: list[Any], counts: Counter):
    """Call, check the invariants, count; return True if accepted."""
    before = canonical_state(est)
    counts["calls"] += 1
    try:
        getattr(est, method)(*args)
    except InvalidInputError:
        counts["rejected"] += 1
        if canonical_state(est) != before:
            raise Violation(f"{species.id}.{method}{args!r}: state changed on rejection") from None
        return False
    except Exception as exc:
        raise Violation(
            f"{species.id}.{method}{args!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    counts["accepted"] += 1
    try:
        json.dumps(est.state_dict(), allow_nan=False)
    except ValueError as exc:
        raise Violation(f"{species.id}.{method}{args!r}: state not strict JSON") from exc
    try:
        values = readout_values(est, species)
    except Exception as exc:
        raise Violation(
            f"{species.id}.{method}{args!r}: read-out raised {type(exc).__name__}: {exc}"
        ) from exc
    if any(math.isinf(v) for v in values):
        raise Violation(f"{species.id}.{method}{args!r}: infinite read-out {values}")
    return True


def run_plan(species: Species, warm_n: int, seed: int, n_calls: int, counts: Counter) -> None:
    est, last = warm(species, warm_n, seed)
    counts["warm_events"] += warm_n
    rng = np.random.default_rng(seed + 1)
    methods = list(species.events)
    shifted = False  # an adversarial call was accepted (e.g. an observation of 1e300)
    for _ in range(n_calls):
        method = methods[int(rng.integers(len(methods)))]
        bad = rng.random() < 0.5
        args = (
            adversarial_args(species, method, rng, last)
            if bad
            else valid_args(species, method, rng, last)
        )
        if checked_call(est, species, method, args, counts):
            last = timestamp_of(species, method, args, last)
            shifted |= bad
        elif not bad:
            if not shifted:
                raise Violation(f"{species.id}.{method}{args!r}: valid call rejected")
            counts["valid_rejected_after_extreme"] += 1
    round_trip(est, species, last, rng, counts)


def round_trip(est: Any, species: Species, last: int, rng: np.random.Generator, counts) -> None:
    """Restore from the JSON text of the state: it saves back identically, and the same 5
    valid events then give bit-identical states in the original and the copy."""
    text = canonical_state(est)
    copy_ = type(est).from_state_dict(json.loads(text))
    if canonical_state(copy_) != text:
        raise Violation(f"{species.id}: JSON round trip changed the state")
    methods = list(species.events)
    for _ in range(5):
        method = methods[int(rng.integers(len(methods)))]
        args = valid_args(species, method, rng, last)
        outcomes = []
        for target in (est, copy_):
            try:
                getattr(target, method)(*copy.deepcopy(args))
                outcomes.append("accepted")
            except InvalidInputError:
                outcomes.append("rejected")
        if outcomes[0] != outcomes[1] or canonical_state(est) != canonical_state(copy_):
            raise Violation(f"{species.id}: restored copy diverged after {method}{args!r}")
        if outcomes[0] == "accepted":
            last = timestamp_of(species, method, args, last)
    counts["round_trips"] += 1


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        out = [(*path, k) for k in value]
        return out + [p for k in sorted(value) for p in _leaves(value[k], (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in [(*path, i), *_leaves(v, (*path, i))]]
    return []


def tamper(data: dict, rng: np.random.Generator) -> dict:
    out = copy.deepcopy(data)
    paths = _leaves(out)
    path = paths[int(rng.integers(len(paths)))]
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    action = rng.random()
    if action < 0.15 and isinstance(parent, dict):
        del parent[path[-1]]
    elif action < 0.25 and isinstance(parent, dict):
        parent["surplus"] = 1
    else:
        pool = [*NUMBERS[:17], None, "1.0", [], {}, True, -1, 2**53 + 1]
        value = pool[int(rng.integers(len(pool)))]
        parent[path[-1]] = float(value) if isinstance(value, np.floating) else value
        if isinstance(value, np.integer):
            parent[path[-1]] = int(value)
    return out


def run_tampering(species: Species, warm_n: int, seed: int, counts: Counter) -> None:
    est, last = warm(species, warm_n, seed)
    data = json.loads(canonical_state(est))
    rng = np.random.default_rng(seed + 2)
    bad = tamper(data, rng)
    counts["state_loads"] += 1
    try:
        restored = type(est).from_state_dict(bad)
    except StateDictError:
        counts["state_refused"] += 1
        return
    except Exception as exc:
        raise Violation(f"{species.id}.from_state_dict raised {type(exc).__name__}: {exc}") from exc
    counts["state_accepted"] += 1
    try:
        saved = canonical_state(restored)
    except ValueError as exc:
        raise Violation(f"{species.id}: accepted state is not strict JSON") from exc
    if saved != json.dumps(bad, sort_keys=True, allow_nan=False):
        raise Violation(f"{species.id}: accepted state does not save back as given")
    methods = list(species.events)
    try:
        for _ in range(10):
            method = methods[int(rng.integers(len(methods)))]
            args = valid_args(species, method, rng, last)
            if checked_call(restored, species, method, args, counts):
                last = timestamp_of(species, method, args, last)
    except Violation:
        counts["tampered_later_violations"] += 1
        counts[f"later[{species.id}]"] += 1


def fuzz(max_examples: int, calls_per_example: int) -> Counter:
    counts: Counter = Counter()

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        species=st.sampled_from(CONTRACTS),
        warm_n=st.integers(0, 60),
        seed=st.integers(0, 2**32 - 1),
    )
    def run(species: Species, warm_n: int, seed: int) -> None:
        run_plan(species, warm_n, seed, calls_per_example, counts)
        counts[f"calls[{species.id}]"] += calls_per_example
        run_tampering(species, warm_n, seed, counts)

    run()
    return counts


def report(counts: Counter) -> str:
    per = {k[6:-1]: v for k, v in counts.items() if k.startswith("calls[")}
    later = {k[6:-1]: v for k, v in counts.items() if k.startswith("later[")}
    return (
        f"fuzz: {counts['calls']} calls ({counts['accepted']} accepted, {counts['rejected']} "
        f"rejected with InvalidInputError, {counts['valid_rejected_after_extreme']} of them valid "
        f"calls after an accepted extreme value) on {len(per)} estimators after "
        f"{counts['warm_events']} warm-up events; {counts['round_trips']} exact JSON round "
        f"trips (then 5 identical events each); {counts['state_loads']} tampered state "
        f"dicts ({counts['state_refused']} refused with StateDictError, "
        f"{counts['state_accepted']} accepted, of which {counts['tampered_later_violations']} "
        f"broke an invariant on later valid events: {later}); 0 violations on valid or "
        "adversarial calls"
    )


def test_fuzz_default_run() -> None:
    counts = fuzz(max_examples=400, calls_per_example=30)
    print("\n" + report(counts))
    assert counts["calls"] >= 10_000
    assert len([k for k in counts if k.startswith("calls[")]) == len(CONTRACTS)
    assert counts["rejected"] > 0.2 * counts["calls"] and counts["accepted"] > 0.2 * counts["calls"]
    assert counts["state_refused"] > 0
    assert counts["round_trips"] == 400


@pytest.mark.audit
def test_fuzz_audit_run() -> None:
    counts = fuzz(max_examples=3500, calls_per_example=30)
    print("\n" + report(counts))
    assert counts["calls"] >= 100_000


def test_harness_catches_a_known_bad_estimator(monkeypatch) -> None:
    """The invariants can fail: the one-sided VWAP update (which crashed with a math domain
    error) and an update that mutates before validating are both reported."""
    from online.volume_clock import VolumeClock

    clock_species = next(s for s in CONTRACTS if s.name == "VolumeClock")
    est = VolumeClock()
    counts: Counter = Counter()
    real = VolumeClock.on_trade

    def mutate_then_validate(self, price, size, timestamp_ms):
        self._b_trades += 1
        self._b_trades -= 1
        self._count += 1  # a partial update before the check below
        return real(self, price, size, timestamp_ms)

    monkeypatch.setattr(VolumeClock, "on_trade", mutate_then_validate)
    with pytest.raises(Violation, match="state changed on rejection"):
        checked_call(est, clock_species, "on_trade", [100.0, 1.0, math.nan], counts)
    monkeypatch.setattr(VolumeClock, "on_trade", real)

    def crashes(self, price, size, timestamp_ms):
        return math.log(-1.0)

    monkeypatch.setattr(VolumeClock, "on_trade", crashes)
    with pytest.raises(Violation, match="raised ValueError"):
        checked_call(VolumeClock(), clock_species, "on_trade", [100.0, 1.0, 0], counts)
