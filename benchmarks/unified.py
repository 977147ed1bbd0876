"""Per-call cost of the ``UnifiedParameterEstimator`` handlers and of ``params()``.

Run from the repository root::

    python -m benchmarks.unified [--calls 20000] [--repeats 5] [--levels 10] [--seed 0]

One seeded synthetic market in one process: a 10-level book around a random-walk mid (sizes
growing with depth), trades at the touch or inside it with random sizes, own fills at the
touch. Each row times one handler over ``--calls`` calls on a warm estimator (first a book and
2000 trades, so the volume clock, bipower estimator and jump classifier are running), with the
garbage collector off; the table gives the median (min/max) over the repeats in microseconds
per call, and the ratio to a no-op method call measured the same way (the loop and call
overhead).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

import numpy as np

from online.unified import UnifiedParameterEstimator

TICK = 0.01


def _book(mid: float, levels: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    depth = np.arange(levels)
    bid_prices = np.round(mid - TICK / 2 - TICK * depth, 2)
    ask_prices = np.round(mid + TICK / 2 + TICK * depth, 2)
    bid_sizes = rng.integers(100, 400, levels) * (1 + depth)
    ask_sizes = rng.integers(100, 400, levels) * (1 + depth)
    return bid_prices, bid_sizes.astype(float), ask_prices, ask_sizes.astype(float)


def _warm(levels: int, rng: np.random.Generator) -> tuple[UnifiedParameterEstimator, int]:
    est = UnifiedParameterEstimator()
    t, mid = 34_200_000, 100.005
    est.on_l2_book(*_book(mid, levels, rng), t)
    for _ in range(2000):
        t += int(rng.integers(1, 200))
        price = mid + rng.choice([-1.0, 1.0]) * TICK / 2
        est.on_trade(price, float(rng.integers(1, 500)), bool(rng.integers(2)), t)
    return est, t


def _time(fn: Callable[[int], None], calls: int, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        gc.disable()
        start = time.perf_counter_ns()
        for i in range(calls):
            fn(i)
        elapsed = time.perf_counter_ns() - start
        gc.enable()
        out.append(elapsed / calls / 1000.0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--levels", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    n = args.calls
    books = [_book(100.005, args.levels, rng) for _ in range(64)]
    sides = rng.choice([-1.0, 1.0], n)
    sizes = rng.integers(1, 500, n).astype(float)
    gaps = rng.integers(1, 200, n)

    class Noop:
        def call(self, i: int) -> None:
            return None

    noop = Noop()
    rows: list[tuple[str, list[float]]] = [("no-op method call", _time(noop.call, n, args.repeats))]

    def timed_handler(name: str, make: Callable[[UnifiedParameterEstimator, int], Callable]):
        samples = []
        for _ in range(args.repeats):
            est, t0 = _warm(args.levels, rng)
            samples += _time(make(est, t0), n, 1)
        rows.append((name, samples))

    def trade(est: UnifiedParameterEstimator, t0: int) -> Callable[[int], None]:
        times = t0 + np.cumsum(gaps)
        return lambda i: est.on_trade(
            100.005 + sides[i] * TICK / 2, sizes[i], sides[i] > 0, int(times[i])
        )

    def book(est: UnifiedParameterEstimator, t0: int) -> Callable[[int], None]:
        times = t0 + np.cumsum(gaps)
        return lambda i: est.on_l2_book(*books[i % len(books)], int(times[i]))

    def own_fill(est: UnifiedParameterEstimator, t0: int) -> Callable[[int], None]:
        times = t0 + np.cumsum(gaps)
        return lambda i: est.on_own_fill(
            100.005 + sides[i] * TICK / 2, 100.0, sides[i] < 0, int(times[i])
        )

    def params(est: UnifiedParameterEstimator, t0: int) -> Callable[[int], None]:
        return lambda i: est.params()

    timed_handler("on_trade", trade)
    timed_handler(f"on_l2_book ({args.levels} levels)", book)
    timed_handler("on_own_fill", own_fill)
    timed_handler("params()", params)

    base = statistics.median(rows[0][1])
    print(f"calls per repeat: {n}, repeats: {args.repeats}, seed: {args.seed}")
    print(f"{'call':32s} {'median us':>10s} {'min':>8s} {'max':>8s} {'x no-op':>9s}")
    for name, samples in rows:
        med = statistics.median(samples)
        print(f"{name:32s} {med:10.2f} {min(samples):8.2f} {max(samples):8.2f} {med / base:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
