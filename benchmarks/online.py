"""Per-event update cost of the online estimators against river's ``EWMean``.

Run from the repository root::

    python -m benchmarks.online [--events 100000] [--repeats 7] [--seed 0]

Every estimator is fed inputs derived from one seeded stream ``x ~ N(0, 1)`` (river's
``EWMean`` and ``TickEWMA`` see ``x`` itself) in the same process. Each timing runs a fresh
instance over all events with the garbage collector off, measured with
``time.perf_counter_ns``; the table gives the median (and min/max) over the repeats in ns per
event, including the Python loop and call overhead (shown separately as a no-op call), and the
ratio of the median to river's ``EWMean``.

river convention (checked, not assumed): ``EWMean(fading_factor=f)`` puts weight ``f`` on the
newest value, ``mean <- f x + (1 - f) mean``, and its first update sets ``mean = x``
(``get()`` is 0.0 before any update). That is ``TickEWMA(h, initial=None)`` with
``alpha = f = 1 - 2**(-1/h)``; the script prints the largest absolute difference between the two
along the stream.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from importlib import metadata

import numpy as np

from online.covariance import ParameterCovariance
from online.ewma import HybridEWMA, TickEWMA
from online.soft_jump import SoftJumpClassifier

HALF_LIFE_TICKS = 50.0


def _time_unary(make: Callable[[], Callable[[float], object]], xs: list[float]) -> int:
    update = make()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for x in xs:
            update(x)
        return time.perf_counter_ns() - t0
    finally:
        gc.enable()


def _time_binary(make: Callable[[], Callable[[float, float], object]], pairs: list) -> int:
    update = make()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for a, b in pairs:
            update(a, b)
        return time.perf_counter_ns() - t0
    finally:
        gc.enable()


def _noop(*_: object) -> None:
    return None


def _conjugate_kappa_factory() -> Callable[[], Callable[[float, int], object]] | None:
    try:
        from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
    except ImportError as exc:
        print(f"skipping ConjugateBayesianKappa: {exc}")
        return None
    return lambda: ConjugateBayesianKappa(config=ConjugateKappaConfig()).update


def _river_check(xs: list[float]) -> float:
    from river import stats as river_stats

    ours = TickEWMA(HALF_LIFE_TICKS)
    theirs = river_stats.EWMean(fading_factor=ours.alpha)
    max_diff = 0.0
    for x in xs:
        ours.update(x)
        theirs.update(x)
        max_diff = max(max_diff, abs(ours.value - theirs.get()))
    return max_diff


def _versions() -> Iterable[str]:
    yield f"python {sys.version.split()[0]} ({platform.python_implementation()})"
    yield f"platform {platform.platform()}"
    for pkg in ("numpy", "scipy", "river"):
        yield f"{pkg} {metadata.version(pkg)}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from river import stats as river_stats

    rng = np.random.default_rng(args.seed)
    x_arr = rng.normal(size=args.events)
    t_arr = np.cumsum(rng.integers(0, 100, args.events))  # ms, non-decreasing
    xs = x_arr.tolist()
    returns = (1e-4 * x_arr).tolist()  # log returns, 1 bp diffusion
    x_t = list(zip(xs, t_arr.tolist(), strict=True))
    kappa_sigma = list(
        zip(
            (2500.0 * (1.0 + 0.1 * x_arr)).tolist(),
            (1e-4 * np.exp(0.1 * x_arr)).tolist(),
            strict=True,
        )
    )
    dist_t = list(zip((1e-4 * np.abs(x_arr)).tolist(), t_arr.tolist(), strict=True))
    alpha = TickEWMA(HALF_LIFE_TICKS).alpha

    cases: list[tuple[str, Callable[[], int]]] = [
        ("no-op call (loop overhead)", lambda: _time_unary(lambda: _noop, xs)),
        (
            "river EWMean",
            lambda: _time_unary(lambda: river_stats.EWMean(fading_factor=alpha).update, xs),
        ),
        ("TickEWMA", lambda: _time_unary(lambda: TickEWMA(HALF_LIFE_TICKS).update, xs)),
        (
            "HybridEWMA",
            lambda: _time_binary(lambda: HybridEWMA(HALF_LIFE_TICKS, 1000.0).update, x_t),
        ),
        (
            "ParameterCovariance",
            lambda: _time_binary(lambda: ParameterCovariance().update, kappa_sigma),
        ),
        (
            "SoftJumpClassifier",
            lambda: _time_unary(lambda: SoftJumpClassifier(1e-4).update, returns),
        ),
    ]
    kappa_factory = _conjugate_kappa_factory()
    if kappa_factory is not None:
        cases.append(("ConjugateBayesianKappa", lambda: _time_binary(kappa_factory, dist_t)))

    print("versions: " + "; ".join(_versions()))
    print(f"events per repeat: {args.events}, repeats: {args.repeats}, seed: {args.seed}")
    results: dict[str, list[float]] = {}
    for name, run in cases:
        results[name] = [run() / args.events for _ in range(args.repeats)]
    river_median = statistics.median(results["river EWMean"])

    print(f"\n{'estimator':<28} {'median ns/ev':>12} {'min':>8} {'max':>8} {'x river':>8}")
    for name, per_event in results.items():
        med = statistics.median(per_event)
        print(
            f"{name:<28} {med:>12.0f} {min(per_event):>8.0f} {max(per_event):>8.0f} "
            f"{med / river_median:>8.2f}"
        )

    diff = _river_check(xs)
    print(
        f"\nTickEWMA(h={HALF_LIFE_TICKS:g}, initial=None) vs river EWMean(fading_factor="
        f"{alpha:.6g}) on the same stream: max |difference| = {diff:.3g}"
    )


if __name__ == "__main__":
    main()
