"""Every public estimator with a description of its event methods, for the strict-state tests
and the fuzz harness.

Each :class:`Species` names a factory (a fresh estimator with production defaults), its
event methods with the kind of each argument, and its read-outs. :func:`valid_value` draws a
value of a kind that the estimator must accept (given the last timestamp it saw);
:func:`warm` feeds ``n`` valid events from a seeded generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import online
from online._checks import MAX_TIMESTAMP_MS

# argument kinds: "return" (log return), "distance" (fraction of the mid), "positive", "nonneg",
# "unit" (in (0, 1]), "price", "size", "side", "ts" (timestamp ms), "move" (bp or None),
# "book" (four L2 arrays), "quote" (bid, bid size, ask, ask size).


@dataclass(frozen=True)
class Species:
    name: str
    make: Callable[[], Any]
    events: dict[str, tuple[str, ...]]
    readouts: tuple[str, ...]


ZOO: tuple[Species, ...] = (
    Species(
        "BinaryJumpClassifier",
        lambda: online.BinaryJumpClassifier(1e-3),
        {"update": ("return",), "set_sigma_diffusion": ("positive",)},
        ("toxicity_score()",),
    ),
    Species(
        "SoftJumpClassifier",
        lambda: online.SoftJumpClassifier(1e-3),
        {"update": ("return",), "set_sigma_diffusion": ("positive",)},
        ("toxicity_score()",),
    ),
    Species(
        "ConjugateBayesianKappa",
        online.ConjugateBayesianKappa,
        {"update": ("distance", "ts"), "advance": ("ts",)},
        ("posterior", "credible_interval()"),
    ),
    Species(
        "VolumeWeightedKappa",
        online.VolumeWeightedKappa,
        {"update": ("distance", "size", "ts"), "advance": ("ts",)},
        ("credible_interval()",),
    ),
    Species(
        "HierarchicalKappa",
        online.HierarchicalKappa,
        {
            "update_from_fill": ("distance", "ts", "move"),
            "update_market_kappa": ("positive", "unit"),
            "advance": ("ts",),
        },
        ("posterior", "effective_kappa()", "credible_interval()"),
    ),
    Species(
        "LinearBlendKappa",
        online.LinearBlendKappa,
        {
            "update_from_fill": ("distance", "ts"),
            "update_market_kappa": ("positive",),
            "advance": ("ts",),
        },
        ("posterior",),
    ),
    Species(
        "HeavyTailDetector",
        online.HeavyTailDetector,
        {"record": ("nonneg",)},
        (),
    ),
    Species(
        "HybridEWMA",
        lambda: online.HybridEWMA(20.0, 1000.0),
        {"update": ("return", "ts")},
        ("value",),
    ),
    Species("TickEWMA", lambda: online.TickEWMA(20.0), {"update": ("return",)}, ("value",)),
    Species(
        "TickEWMAVariance",
        lambda: online.TickEWMAVariance(20.0),
        {"update": ("return",)},
        ("variance",),
    ),
    Species(
        "OneSecondEWMAVariance",
        online.OneSecondEWMAVariance,
        {"update": ("return", "ts")},
        (),
    ),
    Species(
        "MultiScaleBipowerEstimator",
        online.MultiScaleBipowerEstimator,
        {"update": ("return",)},
        ("sigma_clean", "sigma_effective", "jump_ratio"),
    ),
    Species(
        "StochasticVolParams",
        online.StochasticVolParams,
        {"update": ("return",)},
        ("ar1_regression()", "iv_regression()"),
    ),
    Species(
        "ParameterCovariance",
        online.ParameterCovariance,
        {"update": ("positive", "nonneg")},
        ("correlation()", "covariance()", "variances()"),
    ),
    Species(
        "MarketKappaFromL2",
        online.MarketKappaFromL2,
        {"on_book": ("book", "ts")},
        ("kappa", "confidence"),
    ),
    Species(
        "MicropriceEstimator",
        online.MicropriceEstimator,
        {"on_book": ("quote", "ts"), "on_trade": ("size", "side", "ts")},
        ("microprice()", "coefficients"),
    ),
    Species(
        "VolumeClock",
        online.VolumeClock,
        {"on_trade": ("price", "size", "ts")},
        ("intensity_per_s", "threshold", "trailing_volume()"),
    ),
    Species(
        "UnifiedParameterEstimator",
        online.UnifiedParameterEstimator,
        {
            "on_trade": ("price", "size", "side", "ts"),
            "on_l2_book": ("book", "ts"),
            "on_own_fill": ("price", "size", "side", "ts", "move"),
        },
        ("params()",),
    ),
)


def valid_value(kind: str, rng: np.random.Generator, last_ms: int) -> list[Any]:
    """Argument values of ``kind`` the estimator must accept (a list: "book" and "quote"
    expand to several arguments)."""
    if kind == "return":
        return [float(rng.normal(0.0, 1e-3))]
    if kind == "distance":
        return [float(rng.exponential(1 / 2000.0))]
    if kind == "positive":
        return [float(rng.uniform(100.0, 5000.0))]
    if kind == "nonneg":
        return [float(rng.uniform(0.0, 2.0))]
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
        sizes = lambda: rng.integers(1, 1000, 5).astype(float)  # noqa: E731
        return [mid - half - steps, sizes(), mid + half + steps, sizes()]
    if kind == "quote":
        mid, half = 100.0 + rng.normal(0.0, 0.05), 0.01
        return [mid - half, float(rng.integers(0, 900)), mid + half, float(rng.integers(1, 900))]
    raise ValueError(kind)


def valid_args(species: Species, method: str, rng: np.random.Generator, last_ms: int) -> list:
    args: list[Any] = []
    for kind in species.events[method]:
        args += valid_value(kind, rng, last_ms)
    return args


def timestamp_of(species: Species, method: str, args: list[Any], last_ms: int) -> int:
    """The estimator's last timestamp after it accepted ``method(*args)``."""
    if "ts" not in species.events[method]:
        return last_ms
    position = 0
    for kind in species.events[method]:
        if kind == "ts":
            return int(args[position])
        position += {"book": 4, "quote": 4}.get(kind, 1)
    raise AssertionError("unreachable")


def warm(species: Species, n: int, seed: int) -> tuple[Any, int]:
    """(a fresh estimator fed ``n`` valid events, its last timestamp)."""
    rng = np.random.default_rng(seed)
    est, last_ms = species.make(), 0
    methods = list(species.events)
    for _ in range(n):
        method = methods[int(rng.integers(len(methods)))]
        args = valid_args(species, method, rng, last_ms)
        getattr(est, method)(*args)
        last_ms = timestamp_of(species, method, args, last_ms)
    return est, last_ms


def readout_values(est: Any, species: Species) -> list[float]:
    """Every number the read-outs give (None skipped; tuples and dataclasses flattened)."""
    out: list[float] = []

    def collect(value: Any) -> None:
        if value is None or isinstance(value, bool | str):
            return
        if isinstance(value, int | float | np.floating):
            out.append(float(value))
        elif isinstance(value, tuple | list):
            for v in value:
                collect(v)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                collect(getattr(value, name))

    for readout in species.readouts:
        name = readout.removesuffix("()")
        attr = getattr(est, name)
        collect(attr() if readout.endswith("()") else attr)
    return out


def no_infinities(values: list[float]) -> bool:
    return not any(math.isinf(v) for v in values)
