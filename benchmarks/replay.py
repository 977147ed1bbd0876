"""Replay throughput of UnifiedParameterEstimator on LOBSTER days against a bare event loop.

Run from the repository root::

    python -m benchmarks.replay [--data DIR] [--repeats 3] [--book-interval-ms 100]
        [--minutes M]

For the AAPL level-1 and GOOG level-10 sample days (2012-06-21) the script measures, in one
process, each a median over ``--repeats`` runs with the garbage collector off
(``time.perf_counter_ns``):

* ``bare loop``: :func:`validation.data.replay.replay` driving an estimator whose handlers do
  nothing: the cost of iterating the same events (message loop, book de-duplication and
  throttling, argument passing), the named alternative;
* ``unified via replay``: the same replay driving ``UnifiedParameterEstimator()`` (V2
  defaults);
* ``unified, events pre-listed``: the same estimator fed from a list of the events the replay
  fed (recorded once), so the replay driver's cost is excluded.

Throughput is events fed per second, events = trades + books accepted (the same count in every
row). ``x bare`` is the median time divided by the bare loop's median time. Parameters are
sampled once per second of market time in the replay rows (as the shadow mode does).
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from online.market_params import MarketParams
from online.unified import UnifiedParameterEstimator
from validation.data.lobster import LobsterDay, load_lobster
from validation.data.replay import DEFAULT_BOOK_INTERVAL_MS, ReplayStats, day_until, replay

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/lobster"
DAYS = ("LOBSTER_SampleFile_AAPL_2012-06-21_1.zip", "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip")
_NAN = float("nan")
_EMPTY = MarketParams(*([_NAN] * 10), timestamp_ms=-1)


class _Bare:
    """Handlers that do nothing: what is left is the cost of the loop itself."""

    def on_trade(self, price: float, size: float, is_buy: bool, timestamp_ms: int) -> None:
        return None

    def on_l2_book(self, bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms) -> None:
        return None

    def params(self) -> MarketParams:
        return _EMPTY


class _Recorder(_Bare):
    """Records the events a replay feeds, for the pre-listed run."""

    def __init__(self) -> None:
        self.events: list[tuple[bool, tuple]] = []

    def on_trade(self, price: float, size: float, is_buy: bool, timestamp_ms: int) -> None:
        self.events.append((True, (price, size, is_buy, timestamp_ms)))

    def on_l2_book(self, bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms) -> None:
        self.events.append((False, (bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms)))


def _timed(run: Callable[[], object]) -> int:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        run()
        return time.perf_counter_ns() - t0
    finally:
        gc.enable()


def _replay_run(day: LobsterDay, make: Callable[[], object], interval: int) -> Callable[[], None]:
    def run() -> None:
        for _ in replay(day, make(), book_interval_ms=interval, every_ms=1000):
            pass

    return run


def _listed_run(events: list[tuple[bool, tuple]]) -> Callable[[], None]:
    def run() -> None:
        est = UnifiedParameterEstimator()
        on_trade, on_book = est.on_trade, est.on_l2_book
        for is_trade, args in events:
            if is_trade:
                on_trade(*args)
            else:
                on_book(*args)

    return run


def _bench_day(day: LobsterDay, repeats: int, interval: int) -> None:
    stats = ReplayStats()
    recorder = _Recorder()
    for _ in replay(day, recorder, book_interval_ms=interval, stats=stats):
        pass
    n_events = stats.events_fed
    print(
        f"\n{day.ticker} {day.date} levels={day.levels}: {len(day)} messages, "
        f"{stats.trades_fed} trades + {stats.books_fed} books = {n_events} events fed "
        f"(book interval {interval} ms)"
    )
    cases = {
        "bare loop": _replay_run(day, _Bare, interval),
        "unified via replay": _replay_run(day, UnifiedParameterEstimator, interval),
        "unified, events pre-listed": _listed_run(recorder.events),
    }
    medians = {}
    print(f"{'case':<28} {'median s':>9} {'min s':>8} {'max s':>8} {'events/s':>10} {'x bare':>7}")
    for name, run in cases.items():
        times = [_timed(run) / 1e9 for _ in range(repeats)]
        medians[name] = statistics.median(times)
        print(
            f"{name:<28} {medians[name]:>9.3f} {min(times):>8.3f} {max(times):>8.3f} "
            f"{n_events / medians[name]:>10.0f} {medians[name] / medians['bare loop']:>7.1f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--book-interval-ms", type=int, default=DEFAULT_BOOK_INTERVAL_MS)
    parser.add_argument(
        "--minutes", type=float, default=None, help="replay only the first M minutes"
    )
    args = parser.parse_args(argv)

    versions = [f"python {sys.version.split()[0]} ({platform.python_implementation()})"]
    versions += [f"{pkg} {metadata.version(pkg)}" for pkg in ("numpy", "scipy")]
    print("versions: " + "; ".join(versions) + f"; platform {platform.platform()}")
    print(f"repeats: {args.repeats} (medians; the machine may be shared: compare ratios)")
    for name in DAYS:
        path = args.data / name
        if not path.exists():
            print(f"\nskipping {name}: not found in {args.data}")
            continue
        day = load_lobster(path)
        if args.minutes is not None:
            day = day_until(day, day.messages["time_s"][0] + 60.0 * args.minutes)
        _bench_day(day, args.repeats, args.book_interval_ms)


if __name__ == "__main__":
    main()
