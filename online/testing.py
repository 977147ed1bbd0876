"""Contract checks every public estimator must pass (like river's ``utils.estimator_checks``).

:data:`CONTRACTS` describes each public estimator of :mod:`online`: a factory (production
defaults), its event methods with the kind of each argument, its read-outs and, where
:mod:`online.bulk` has a kernel for it, how to run the kernel. From the kinds the harness draws
valid streams (:func:`valid_value`, seeded) and invalid calls (:func:`bad_values`: NaN, inf,
negative or zero where a positive value belongs, timestamps going backwards or beyond 2**53,
crossed books, ...). :func:`check_estimator` runs the checks of :data:`CHECKS` on one estimator:

* :func:`check_bad_input_leaves_state_unchanged`: mid-stream, every invalid call raises
  :class:`~online.errors.InvalidInputError` (a ``ValueError`` naming the field) and the
  ``state_dict()`` afterwards is the one before (canonical JSON);
* :func:`check_round_trip_continues`: mid-stream, ``from_state_dict`` of the JSON-dumped state
  saves the same state, and the original and the copy then agree bit for bit on every return
  value, read-out and state over 100 more events;
* :func:`check_bulk_equals_streaming`: the bulk kernel from a fresh estimator and from a
  mid-stream ``state_dict()`` gives, element by element, the streaming read-outs after each
  update (bit-identical, or to ``rtol`` where the kernel sums differently), and rejects a NaN
  in any of its input arrays naming the index;
* :func:`check_strict_loading`: a warm estimator's saved state made malformed
  (:func:`malformed_states`: an extra key, a missing config field, a float as a string or
  NaN, ``true`` for a count, an integer beyond 2**53, another version or kind, a list for the
  dict, a saved rolling window with reversed timestamps, a value dropped, or a total or m2
  that is not its values'; :func:`out_of_range_states`: a value outside the range its
  field declares, such as a negative variance) is refused with ``StateDictError``;
* :func:`check_config_rejects_bad_values`: every numeric config field (nested configs
  included) set to NaN, or 2.5 for an integer, raises ``InvalidInputError`` naming that field.

numpy only (no test framework): failures raise :class:`ContractViolation`.

>>> check_estimator("TickEWMA")
>>> sorted(c.name for c in CONTRACTS)[:3]
['BinaryJumpClassifier', 'ConjugateBayesianKappa', 'HeavyTailDetector']
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import online
from online import bulk
from online._checks import MAX_TIMESTAMP_MS
from online.errors import InvalidInputError, StateDictError
from online.serialization import Scalar

# argument kinds: "return" (log return), "distance" (fraction of the mid), "positive", "nonneg",
# "cv" (>= 0 or NaN), "unit" (in (0, 1]), "price", "size", "side", "ts" (timestamp ms), "move"
# (bp or None), "book" (four L2 arrays), "quote" (bid, bid size, ask, ask size).


class ContractViolation(AssertionError):
    """An estimator broke one of the contract checks."""


@dataclass(frozen=True)
class BulkKernel:
    """How to run the :mod:`online.bulk` kernel of an estimator.

    Attributes:
        method: the streaming method whose calls the kernel replaces.
        run: ``run(estimator, calls)``: the kernel's output arrays for ``calls`` (argument
            lists of ``method``), continuing from ``estimator`` (its config and state).
        readout: ``readout(estimator, returned)``, the streaming values after one update
            (``returned`` is what the call returned), in the order of ``run``'s arrays
            (``None`` for the kernel's NaN).
        rtol: 0 for bit-identical, else the relative tolerance.
    """

    method: str
    run: Callable[[Any, list[list[Any]]], Sequence[np.ndarray]]
    readout: Callable[[Any, Any], tuple[float | None, ...]]
    rtol: float = 0.0


@dataclass(frozen=True)
class EstimatorContract:
    """One estimator: factory, event methods (argument kinds), read-outs, bulk kernel;
    ``variant`` names a second configuration of the same class (e.g. its V1 flags);
    ``invalid_states``: (path under ``"state"``, value) edits of a warm saved state that break
    an invariant no single field's range expresses (a zero denominator after a trade), which
    :func:`check_strict_loading` requires to be refused."""

    name: str
    make: Callable[[], Any]
    events: dict[str, tuple[str, ...]]
    readouts: tuple[str, ...]
    bulk: BulkKernel | None = None
    variant: str = ""
    invalid_states: tuple[tuple[tuple, Any], ...] = ()

    @property
    def id(self) -> str:
        """``name`` or ``name[variant]``."""
        return f"{self.name}[{self.variant}]" if self.variant else self.name


def _column(calls: list[list[Any]], i: int) -> np.ndarray:
    return np.array([c[i] for c in calls])


def _kappa_kernel(est: Any, calls: list[list[Any]]) -> Sequence[np.ndarray]:
    path = bulk.conjugate_kappa_posterior(
        _column(calls, 0), _column(calls, 1), est.config, est.state_dict()
    )
    return path.alpha, path.beta, path.count


def _soft_jump_kernel(est: Any, calls: list[list[Any]]) -> Sequence[np.ndarray]:
    return bulk.soft_jump_path(_column(calls, 0), est.config, state=est.state_dict())


def _covariance_kernel(est: Any, calls: list[list[Any]]) -> Sequence[np.ndarray]:
    path = bulk.parameter_covariance(
        _column(calls, 0), _column(calls, 1), est.config, est.state_dict()
    )
    return path.mean_kappa, path.mean_sigma, path.var_kappa, path.var_sigma, path.covariance


def _covariance_readout(est: Any, returned: None) -> tuple[float, ...]:
    (mk, ms), (vk, vs) = est.means(), est.variances()
    return mk, ms, vk, vs, est.covariance()


_UNIFIED_EVENTS = {
    "on_trade": ("price", "size", "side", "ts"),
    "on_l2_book": ("book", "ts"),
    "on_own_fill": ("price", "size", "side", "ts", "move"),
}

CONTRACTS: tuple[EstimatorContract, ...] = (
    EstimatorContract(
        "BinaryJumpClassifier",
        lambda: online.BinaryJumpClassifier(1e-3),
        {"update": ("return",), "set_sigma_diffusion": ("positive",)},
        ("toxicity_score()",),
    ),
    EstimatorContract(
        "SoftJumpClassifier",
        lambda: online.SoftJumpClassifier(1e-3),
        {"update": ("return",), "set_sigma_diffusion": ("positive",)},
        ("toxicity_score()",),
        BulkKernel(
            "update",
            _soft_jump_kernel,
            lambda e, p: (p, e.pi, e.sigma_diffusion, e.sigma_jump, e.toxicity_score()),
        ),
        invalid_states=((("n_jump",), 1.0),),
    ),
    EstimatorContract(
        "ConjugateBayesianKappa",
        online.ConjugateBayesianKappa,
        {"update": ("distance", "ts"), "advance": ("ts",)},
        ("posterior", "credible_interval()"),
        BulkKernel(
            "update",
            _kappa_kernel,
            lambda e, _: (e.posterior.alpha, e.posterior.beta, e.observation_count),
            rtol=1e-12,  # the window sum is compensated differently (README)
        ),
    ),
    EstimatorContract(
        "VolumeWeightedKappa",
        online.VolumeWeightedKappa,
        {"update": ("distance", "size", "ts"), "advance": ("ts",)},
        ("credible_interval()",),
    ),
    EstimatorContract(
        "HierarchicalKappa",
        online.HierarchicalKappa,
        {
            "update_from_fill": ("distance", "ts", "move"),
            "update_market_kappa": ("positive", "unit"),
            "advance": ("ts",),
        },
        ("posterior", "effective_kappa()", "credible_interval()"),
    ),
    EstimatorContract(
        "LinearBlendKappa",
        online.LinearBlendKappa,
        {
            "update_from_fill": ("distance", "ts"),
            "update_market_kappa": ("positive",),
            "advance": ("ts",),
        },
        ("posterior",),
    ),
    EstimatorContract(
        "HeavyTailDetector",
        online.HeavyTailDetector,
        {"record": ("cv",)},
        ("kappa_scale",),
    ),
    EstimatorContract(
        "HybridEWMA",
        lambda: online.HybridEWMA(20.0, 1000.0),
        {"update": ("return", "ts")},
        ("value",),
        BulkKernel(
            "update",
            lambda e, calls: bulk.hybrid_ewma(
                _column(calls, 0),
                _column(calls, 1),
                e.config.half_life_ticks,
                e.config.time_half_life_ms,
                e.state_dict(),
            ),
            lambda e, _: (e.value, e.weight_sum),
        ),
    ),
    EstimatorContract(
        "TickEWMA",
        lambda: online.TickEWMA(20.0),
        {"update": ("return",)},
        ("value",),
        BulkKernel(
            "update",
            # the kernel's ``initial`` is the value to continue from
            lambda e, calls: (
                bulk.tick_ewma(_column(calls, 0), e.config.half_life_ticks, e.value),
            ),
            lambda e, _: (e.value,),
        ),
    ),
    EstimatorContract(
        "NormalisedTickEWMA",
        lambda: online.NormalisedTickEWMA(20.0),
        {"update": ("return",)},
        ("value", "weight_sum"),
        invalid_states=((("weight_sum",), 0.0), (("weight_sum",), 1e6), (("tick_count",), 0)),
    ),
    EstimatorContract(
        "TickEWMAVariance",
        lambda: online.TickEWMAVariance(20.0),
        {"update": ("return",)},
        ("variance",),
        BulkKernel(
            "update",
            lambda e, calls: bulk.ewma_variance(
                _column(calls, 0), e.config.half_life_ticks, e.state_dict()
            ),
            lambda e, _: (e.mean, e.variance),
        ),
    ),
    EstimatorContract(
        "OneSecondEWMAVariance",
        online.OneSecondEWMAVariance,
        {"update": ("return", "ts")},
        ("mean", "variance", "sigma_per_sqrt_s"),
    ),
    EstimatorContract(
        "MultiScaleBipowerEstimator",
        online.MultiScaleBipowerEstimator,
        {"update": ("return",)},
        ("sigma_clean", "sigma_effective", "jump_ratio"),
    ),
    EstimatorContract(
        "StochasticVolParams",
        online.StochasticVolParams,
        {"update": ("return",)},
        ("ar1_regression()", "iv_regression()"),
    ),
    EstimatorContract(
        "ParameterCovariance",
        online.ParameterCovariance,
        {"update": ("positive", "nonneg")},
        ("correlation()", "covariance()", "variances()"),
        BulkKernel("update", _covariance_kernel, _covariance_readout),
    ),
    EstimatorContract(
        "MarketKappaFromL2",
        online.MarketKappaFromL2,
        {"on_book": ("book", "ts")},
        ("kappa", "confidence"),
    ),
    EstimatorContract(
        "MicropriceEstimator",
        online.MicropriceEstimator,
        {"on_book": ("quote", "ts"), "on_trade": ("size", "side", "ts")},
        ("microprice()", "coefficients"),
        invalid_states=(
            (("flow_den",), 0.0),
            (("flow_num",), 1e300),
            (("mid",), None),
            (("pending", 0, 2), -1e300),
            (("pending", 0, 4), 0.0),
        ),
    ),
    EstimatorContract(
        "VolumeClock",
        online.VolumeClock,
        {"on_trade": ("price", "size", "ts")},
        ("intensity_per_s", "threshold", "trailing_volume()"),
        invalid_states=(
            (("last_bucket", "vwap"), 0.0),
            (("last_bucket", "start_ms"), 2**40),
        ),
    ),
    EstimatorContract(
        "UnifiedParameterEstimator",
        online.UnifiedParameterEstimator,
        _UNIFIED_EVENTS,
        ("params()",),
    ),
    EstimatorContract(
        "UnifiedParameterEstimator",
        lambda: online.UnifiedParameterEstimator(
            online.UnifiedEstimatorConfig(version=online.EstimatorVersion.legacy_v1())
        ),
        _UNIFIED_EVENTS,
        ("params()",),
        variant="legacy_v1",
    ),
)


def public_estimators() -> list[type]:
    """Every class in ``online.__all__`` with a ``state_dict`` (the estimators)."""
    found = (getattr(online, name) for name in online.__all__)
    return [c for c in found if isinstance(c, type) and hasattr(c, "state_dict")]


def contract(estimator: str | type | EstimatorContract) -> EstimatorContract:
    """The contract of ``estimator`` (a class, its name, or a contract itself; for a class
    with variants, the one with production defaults)."""
    if isinstance(estimator, EstimatorContract):
        return estimator
    name = estimator if isinstance(estimator, str) else estimator.__name__
    for c in CONTRACTS:
        if c.name == name:
            return c
    raise KeyError(f"no contract for {name!r}: add it to online.testing.CONTRACTS")


# ------------------------------------------------------------------------ values
def valid_value(kind: str, rng: np.random.Generator, last_ms: int) -> list[Any]:
    """Argument values of ``kind`` the estimator must accept (a list: "book" and "quote"
    expand to several arguments), given the last timestamp it saw."""
    if kind == "return":
        return [float(rng.normal(0.0, 1e-3))]
    if kind == "distance":
        return [float(rng.exponential(1 / 2000.0))]
    if kind == "positive":
        return [float(rng.uniform(100.0, 5000.0))]
    if kind == "nonneg":
        return [float(rng.uniform(0.0, 2.0))]
    if kind == "cv":
        return [math.nan if rng.random() < 0.2 else float(rng.uniform(0.0, 2.0))]
    if kind == "unit":
        return [float(rng.uniform(0.05, 1.0))]
    if kind == "price":
        return [float(100.0 + rng.normal(0.0, 0.05))]
    if kind == "size":
        return [float(rng.integers(1, 500))]
    if kind == "side":
        return [bool(rng.random() < 0.5)]
    if kind == "ts":
        return [min(last_ms + int(rng.integers(0, 400)), MAX_TIMESTAMP_MS)]
    if kind == "move":
        return [None if rng.random() < 0.5 else float(rng.normal(0.0, 5.0))]
    if kind == "book":
        mid, half = 100.0 + rng.normal(0.0, 0.05), 0.01 * int(rng.integers(1, 3))
        steps = 0.01 * np.arange(5)
        bid_sizes, ask_sizes = (rng.integers(1, 1000, 5).astype(float) for _ in range(2))
        return [mid - half - steps, bid_sizes, mid + half + steps, ask_sizes]
    if kind == "quote":
        mid, half = 100.0 + rng.normal(0.0, 0.05), 0.01
        return [mid - half, float(rng.integers(0, 900)), mid + half, float(rng.integers(1, 900))]
    raise ValueError(f"kind={kind!r}: unknown argument kind")


def bad_values(kind: str, last_ms: int) -> list[list[Any]]:
    """Values of ``kind`` every estimator must reject (each a list, like :func:`valid_value`)."""
    nan, inf = math.nan, math.inf
    common: list[Any] = [nan, inf, "1.0", True]
    if kind == "return":
        return [[v] for v in (*common, -inf, None)]
    if kind in ("distance", "nonneg", "cv"):
        values = [inf, -1e-4, "1.0", True, None]  # NaN is a valid cv ("undefined")
        return [[v] for v in (values if kind == "cv" else [*values, nan])]
    if kind in ("positive", "price", "size"):
        return [[v] for v in (*common, 0.0, -1.0, None)]
    if kind == "unit":
        return [[v] for v in (*common, 0.0, 1.5)]
    if kind == "side":
        return [["buy"], [None], [2]]
    if kind == "ts":
        late = [last_ms - 1] if last_ms > 0 else []
        return [[v] for v in (*late, -1, last_ms + 0.5, MAX_TIMESTAMP_MS + 1, nan, "5", True)]
    if kind == "move":
        return [[v] for v in common]
    if kind == "book":
        bids, asks = 100.0 - 0.01 * np.arange(1, 6), 100.0 + 0.01 * np.arange(1, 6)
        sizes = np.full(5, 10.0)
        return [
            [asks, sizes, bids, sizes],  # crossed
            [bids, -sizes, asks, sizes],  # negative sizes
            [bids, sizes, asks, sizes[:3]],  # unequal lengths
            [bids, sizes, np.array([]), np.array([])],  # empty side
            [bids, sizes, np.where(np.arange(5) == 4, inf, asks), sizes],  # infinite price
        ]
    if kind == "quote":
        return [
            [100.01, 10.0, 99.99, 10.0],  # crossed
            [99.99, -1.0, 100.01, 10.0],  # negative size
            [nan, 10.0, 100.01, 10.0],
            [99.99, 10.0, inf, 10.0],
        ]
    raise ValueError(f"kind={kind!r}: unknown argument kind")


def valid_args(c: EstimatorContract, method: str, rng: np.random.Generator, last_ms: int) -> list:
    """Valid arguments for ``method`` of the estimator of contract ``c``."""
    args: list[Any] = []
    for kind in c.events[method]:
        args += valid_value(kind, rng, last_ms)
    return args


def timestamp_of(c: EstimatorContract, method: str, args: list[Any], last_ms: int) -> int:
    """The estimator's last timestamp after it accepted ``method(*args)``."""
    position = 0
    for kind in c.events[method]:
        if kind == "ts":
            return int(args[position])
        position += {"book": 4, "quote": 4}.get(kind, 1)
    return last_ms


def _width(kind: str) -> int:
    return 4 if kind in ("book", "quote") else 1


def bad_calls(
    c: EstimatorContract, rng: np.random.Generator, last_ms: int
) -> list[tuple[str, list[Any], str | None]]:
    """(method, args, field) calls with exactly one argument invalid, for every method,
    argument and bad value of its kind; ``field`` is the name of the bad parameter (``None``
    for a book or quote, where any of its four arrays may be named)."""
    calls = []
    for method, kinds in c.events.items():
        params = list(inspect.signature(getattr(c.make(), method)).parameters)
        for i, kind in enumerate(kinds):
            position = sum(_width(k) for k in kinds[:i])
            field = None if _width(kind) > 1 else params[position]
            for bad in bad_values(kind, last_ms):
                args: list[Any] = []
                for j, other in enumerate(kinds):
                    args += bad if j == i else valid_value(other, rng, last_ms)
                calls.append((method, args, field))
    return calls


def warm(c: EstimatorContract, n: int, seed: int) -> tuple[Any, int]:
    """(a fresh estimator fed ``n`` valid events drawn with ``seed``, its last timestamp)."""
    rng = np.random.default_rng(seed)
    est, last_ms = c.make(), 0
    methods = list(c.events)
    for _ in range(n):
        method = methods[int(rng.integers(len(methods)))]
        args = valid_args(c, method, rng, last_ms)
        getattr(est, method)(*args)
        last_ms = timestamp_of(c, method, args, last_ms)
    return est, last_ms


def readout_values(est: Any, c: EstimatorContract) -> list[float]:
    """Every number the read-outs give (None skipped; tuples and dataclasses flattened)."""
    out: list[float] = []

    def collect(value: Any) -> None:
        if value is None or isinstance(value, bool | str):
            return
        if isinstance(value, int | float | np.floating):
            out.append(float(value))
        elif isinstance(value, np.ndarray):
            out.extend(float(v) for v in value.ravel())
        elif isinstance(value, tuple | list):
            for v in value:
                collect(v)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                collect(getattr(value, name))

    for readout in c.readouts:
        name = readout.removesuffix("()")
        attr = getattr(est, name)
        collect(attr() if readout.endswith("()") else attr)
    for name in public_properties(type(est)):
        if name not in c.readouts:
            collect(getattr(est, name))
    return out


def public_properties(cls: type) -> list[str]:
    """Names of the public properties of ``cls`` (its read-outs without arguments)."""
    return sorted(
        name
        for klass in cls.__mro__
        for name, attr in vars(klass).items()
        if isinstance(attr, property) and not name.startswith("_")
    )


def canonical_state(est: Any) -> str:
    """``est.state_dict()`` as canonical strict JSON (sorted keys, no NaN)."""
    return json.dumps(est.state_dict(), sort_keys=True, allow_nan=False)


# ------------------------------------------------------------------------ checks
def check_bad_input_leaves_state_unchanged(estimator: str | type | EstimatorContract) -> int:
    """Every call of :func:`bad_calls` on a fresh estimator, a warm one and a copy of the warm
    one restored from its state raises ``InvalidInputError`` naming the bad parameter and
    leaves ``state_dict()`` as it was. Returns the number of calls checked."""
    c = contract(estimator)
    warmed, last_ms = warm(c, 200, seed=1)
    restored = type(warmed).from_state_dict(json.loads(canonical_state(warmed)))
    checked = 0
    for est, now in ((c.make(), 0), (warmed, last_ms), (restored, last_ms)):
        before = canonical_state(est)
        for method, args, field in bad_calls(c, np.random.default_rng(2), now):
            try:
                getattr(est, method)(*args)
            except InvalidInputError as exc:
                if exc.field != (field or exc.field) or exc.field not in str(exc):
                    message = f"{c.name}.{method}{args!r}: the error names {exc.field!r}"
                    raise ContractViolation(message) from exc
            else:
                raise ContractViolation(f"{c.name}.{method}{args!r} was accepted")
            if canonical_state(est) != before:
                raise ContractViolation(f"{c.name}.{method}{args!r} changed the state")
            checked += 1
    return checked


def check_round_trip_continues(estimator: str | type | EstimatorContract) -> int:
    """A JSON round trip of a fresh and of a mid-stream estimator restores the same state, and
    original and copy stay bit-identical (return values, read-outs, states) over 100 more
    events. Returns the number of events compared."""
    c = contract(estimator)
    for warm_n in (0, 300):
        est, last_ms = warm(c, warm_n, seed=3)
        copy = type(est).from_state_dict(json.loads(canonical_state(est)))
        if canonical_state(copy) != canonical_state(est):
            raise ContractViolation(f"{c.name}: the restored copy saves another state")
        rng, methods = np.random.default_rng(4), list(c.events)
        for k in range(100):
            method = methods[int(rng.integers(len(methods)))]
            args = valid_args(c, method, rng, last_ms)
            got = (getattr(est, method)(*args), getattr(copy, method)(*args))
            last_ms = timestamp_of(c, method, args, last_ms)
            same = repr(got[0]) == repr(got[1])
            same = same and repr(readout_values(est, c)) == repr(readout_values(copy, c))
            if not (same and canonical_state(est) == canonical_state(copy)):
                message = f"{c.name}: the copy restored after {warm_n} events diverged at {k}"
                raise ContractViolation(message)
    return 200


def _as_float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def check_bulk_equals_streaming(estimator: str | type | EstimatorContract) -> int:
    """The bulk kernel, from a fresh estimator and from a mid-stream state, equals the
    streaming read-outs after each update (NaN where the stream gives None), and rejects a NaN
    in any input column at index 7 with an error naming ``[7]``. Returns the number of elements
    compared (0 for an estimator without a kernel)."""
    c = contract(estimator)
    if c.bulk is None:
        return 0
    kernel, rng = c.bulk, np.random.default_rng(5)
    calls, last_ms = [], 0
    for _ in range(400):
        args = valid_args(c, kernel.method, rng, last_ms)
        last_ms = timestamp_of(c, kernel.method, args, last_ms)
        calls.append(args)
    compared = 0
    for start in (0, 150):
        est = c.make()
        for args in calls[:start]:
            getattr(est, kernel.method)(*args)
        got = np.array([np.asarray(o, dtype=float) for o in kernel.run(est, calls[start:])])
        expected = []
        for args in calls[start:]:
            returned = getattr(est, kernel.method)(*args)
            expected.append([_as_float(v) for v in kernel.readout(est, returned)])
        want = np.array(expected).T
        if got.shape != want.shape:
            ok = False
        elif kernel.rtol == 0.0:
            ok = np.array_equal(got, want, equal_nan=True)
        else:
            ok = np.allclose(got, want, rtol=kernel.rtol, atol=0.0, equal_nan=True)
        if not ok:
            raise ContractViolation(f"{c.name}: bulk kernel differs from streaming (start {start})")
        compared += want.size
    for column in range(len(calls[0])):
        poisoned = [list(args) for args in calls]
        poisoned[7][column] = math.nan
        try:
            kernel.run(c.make(), poisoned)
        except InvalidInputError as exc:
            if "[7]" not in exc.field:
                message = f"{c.name}: bulk error names {exc.field!r}, not [7]"
                raise ContractViolation(message) from exc
        else:
            raise ContractViolation(f"{c.name}: bulk kernel accepted NaN in column {column}")
    return compared


def bad_configs(config: Any, prefix: str = "") -> list[tuple[str, Callable[[], Any]]]:
    """(field path, build) pairs: ``build()`` makes ``config`` with one numeric field invalid,
    NaN for a float and 2.5 for an integer (nested config dataclasses are entered)."""
    out: list[tuple[str, Callable[[], Any]]] = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            for path, build in bad_configs(value, f"{prefix}{f.name}."):
                out.append((path, _nested(config, f.name, build)))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            bad = math.nan if isinstance(value, float) else 2.5
            out.append((prefix + f.name, _nested(config, f.name, lambda bad=bad: bad)))
    return out


def _nested(config: Any, name: str, build: Callable[[], Any]) -> Callable[[], Any]:
    return lambda: dataclasses.replace(config, **{name: build()})


def check_config_rejects_bad_values(estimator: str | type | EstimatorContract) -> int:
    """Every numeric config field set to NaN (float) or 2.5 (integer) raises
    ``InvalidInputError`` naming that field when the config is built. Returns the number of
    fields checked."""
    c = contract(estimator)
    config = getattr(c.make(), "config", None)
    if not dataclasses.is_dataclass(config):
        return 0
    checked = 0
    for path, build in bad_configs(config):
        try:
            build()
        except InvalidInputError as exc:
            if exc.field != path.rsplit(".", 1)[-1]:
                raise ContractViolation(f"{c.id}: config {path} error names {exc.field!r}") from exc
        else:
            raise ContractViolation(f"{c.id}: config {path} accepted an invalid value")
        checked += 1
    return checked


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


def with_value(data: dict, path: tuple, value: Any) -> dict:
    """A deep copy of ``data`` with the value at ``path`` (keys / indices) replaced."""
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
                (f"{label} at {'.'.join(map(str, path))}", with_value(saved, path, replace(value)))
            )
    path = _first_path(saved["state"], int, ("state",))
    if path is not None:
        cases.append(("an integer beyond 2**53", with_value(saved, path, 2**53 + 1)))
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
            with_value(saved, (*path, "timestamps"), window["timestamps"][::-1]),
        ),
        (f"{where} a value dropped", with_value(saved, (*path, "values"), window["values"][1:])),
        (f"{where} total off", with_value(saved, (*path, "hi"), window["hi"] * 2.0 + 1.0)),
        (f"{where} m2 off", with_value(saved, (*path, "m2"), window["m2_peak"] * 2.0 + 1.0)),
    ]


def out_of_range_states(kind: type, saved: dict) -> list[tuple[str, Any]]:
    """One state dict per state field of ``kind`` whose codec declares a range
    (:class:`online.serialization.Scalar`), with that field just below its minimum or above
    its maximum (each bounded side)."""
    cases = []
    for f in kind._state_fields:
        for outside in f.codec.outside() if isinstance(f.codec, Scalar) else ():
            bad = with_value(saved, ("state", f.key), outside)
            cases.append((f"state.{f.key} = {outside!r}, outside its range", bad))
    return cases


def check_strict_loading(estimator: str | type | EstimatorContract) -> int:
    """Every :func:`malformed_states` and :func:`out_of_range_states` case of a warm
    estimator's saved state, and each of its contract's ``invalid_states``, is refused with
    :class:`~online.errors.StateDictError`. Returns the number of cases checked."""
    c = contract(estimator)
    est, _ = warm(c, 120, seed=6)
    saved = json.loads(canonical_state(est))
    cases = malformed_states(saved) + out_of_range_states(type(est), saved)
    cases += [
        (f"state.{'.'.join(map(str, path))} = {value!r}, an invariant broken",
         with_value(saved, ("state", *path), value))
        for path, value in c.invalid_states
    ]  # fmt: skip
    for what, data in cases:
        try:
            type(est).from_state_dict(data)
        except StateDictError:
            continue
        except Exception as exc:  # any other error breaks the contract too
            message = f"{c.id}: {what} raised {type(exc).__name__}, not StateDictError"
            raise ContractViolation(message) from exc
        raise ContractViolation(f"{c.id}: {what} was accepted")
    return len(cases)


CHECKS: tuple[Callable[[Any], int], ...] = (
    check_bad_input_leaves_state_unchanged,
    check_round_trip_continues,
    check_bulk_equals_streaming,
    check_config_rejects_bad_values,
    check_strict_loading,
)


def check_estimator(estimator: str | type | EstimatorContract) -> None:
    """Run every check of :data:`CHECKS` on ``estimator``; raise :class:`ContractViolation`
    on the first failure."""
    for check in CHECKS:
        check(estimator)
