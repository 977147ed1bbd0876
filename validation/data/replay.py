"""Replay a LOBSTER day through an online estimator, in time order, sampling its parameters.

For every message ``i`` (in file order, which is time order):

1. If it is an execution (type 4 visible, 5 hidden) it is fed as a trade,
   ``estimator.on_trade(price, size, is_buy, t)``, BEFORE book row ``i`` (the book the
   execution produced) is applied, so the estimator sees the trade against the book that
   preceded it. LOBSTER's ``direction`` is the side of the RESTING order that was hit: an
   executed sell limit order (-1) means a buyer-initiated trade, so ``is_buy = direction == -1``.
2. Book row ``i`` is fed as ``estimator.on_l2_book(bid_prices, bid_sizes, ask_prices,
   ask_sizes, t)`` (1-D arrays, level 1 first, NaN price = empty level, sizes in shares as
   float) when all of these hold:

   - it differs from the last book fed (NaN prices compare equal);
   - at least ``book_interval_ms`` have passed since the last book fed (0 = every change).
     Production receives throttled L2 snapshots while trades arrive in real time; the default
     of 100 ms mimics that, so a trade's distance is measured against a book at most 100 ms
     (plus the gap to the next message) old. A row withheld by the throttle stays pending and
     is fed with the first later message that passes the throttle, as the then-current row;
   - both best prices are present and the book is not crossed or locked (ask > bid);
   - trading is not halted (from a type-7 message with raw price flag -1 until one with
     flag 1; the loader stores the flags divided by 10000).

Rows and messages that are not fed are counted in :class:`ReplayStats`, per reason; nothing is
dropped silently. Type-6 messages (crosses: auction prints) are counted but not fed as trades.
An event the estimator rejects (``InvalidInputError``) is counted and the replay continues (the
estimator's state is unchanged by a rejected event).

Timestamps are integer ms after midnight, ``floor(time_s * 1000)``, computed as in
:mod:`validation.data.trade_distances` from the time rounded to whole ns,
``rint(time_s * 1e9) // 10**6``; they are non-decreasing because ``time_s`` is.

Sampling: ``estimator.params()`` is taken on the grid ``g = k * every_ms`` (ms after midnight),
for every grid point from the first that is >= the first message time up to the last message
time. The snapshot at ``g`` reflects every message with ``t <= g`` and none after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from online.errors import InvalidInputError
from online.market_params import MarketParams
from validation.data.lobster import PRICE_SCALE, LobsterDay
from validation.data.trade_distances import EXECUTION_TYPES

DEFAULT_BOOK_INTERVAL_MS = 100
"""Default minimum time between two books fed (ms); 0 feeds every change."""

DEFAULT_EVERY_MS = 1000
"""Default sampling interval of the parameters (ms of market time)."""

PROGRESS_EVERY = 20_000
"""Messages between two progress callbacks."""

CROSS_TYPE = 6
HALT_TYPE = 7
HALT_FLAG, RESUME_FLAG = -1, 1
"""Raw type-7 price flags (the loader stores them divided by PRICE_SCALE)."""


class Estimator(Protocol):
    """What :func:`replay` needs from an estimator."""

    def on_trade(self, price: float, size: float, is_buy: bool, timestamp_ms: int) -> None: ...

    def on_l2_book(
        self,
        bid_prices: np.ndarray,
        bid_sizes: np.ndarray,
        ask_prices: np.ndarray,
        ask_sizes: np.ndarray,
        timestamp_ms: int,
    ) -> None: ...

    def params(self) -> MarketParams: ...


@dataclass
class ReplayStats:
    """Counts of what a replay fed and what it did not, per reason.

    Attributes:
        n_messages: messages read.
        n_executions: messages of type 4 or 5.
        trades_fed: executions accepted by ``on_trade``.
        trades_halted: executions during a halt (not fed).
        trades_rejected: executions the estimator rejected (InvalidInputError).
        crosses: type-6 messages (auction crosses; not fed).
        halt_messages: type-7 messages.
        books_fed: book rows accepted by ``on_l2_book``.
        books_unchanged: rows equal to the last book fed (not fed).
        books_throttled: changed rows withheld because ``book_interval_ms`` had not passed.
        books_empty_side: rows with no best bid or no best ask (not fed).
        books_crossed: rows with best ask <= best bid (not fed).
        books_halted: rows during a halt (not fed).
        books_rejected: rows the estimator rejected (InvalidInputError).
        samples: parameter snapshots yielded.
        first_rejection: message of the first rejected event (None if none).
    """

    n_messages: int = 0
    n_executions: int = 0
    trades_fed: int = 0
    trades_halted: int = 0
    trades_rejected: int = 0
    crosses: int = 0
    halt_messages: int = 0
    books_fed: int = 0
    books_unchanged: int = 0
    books_throttled: int = 0
    books_empty_side: int = 0
    books_crossed: int = 0
    books_halted: int = 0
    books_rejected: int = 0
    samples: int = 0
    first_rejection: str | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def events_fed(self) -> int:
        """Trades plus books accepted by the estimator."""
        return self.trades_fed + self.books_fed


def timestamps_ms(day: LobsterDay) -> np.ndarray:
    """int64 ms after midnight of every message, ``rint(time_s * 1e9) // 10**6``."""
    return np.rint(day.messages["time_s"] * 1e9).astype(np.int64) // 1_000_000


def _check_int(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidInputError(name, value, f"must be an integer >= {minimum}")
    return int(value)


def replay_samples(
    day: LobsterDay,
    estimator: Estimator,
    book_interval_ms: int,
    every_ms: int,
    progress: Callable[[int, int], None] | None,
    stats: ReplayStats,
) -> Iterator[tuple[int, MarketParams]]:
    """The replay loop: yields ``(grid_ms, estimator.params())`` (see the module docstring).

    Arguments as in :func:`replay`; ``stats`` is filled in place.
    """
    interval = _check_int("book_interval_ms", book_interval_ms, 0)
    every = _check_int("every_ms", every_ms, 1)
    msgs = day.messages
    n = len(msgs)
    if n == 0:
        return
    t_ms = timestamps_ms(day).tolist()
    types = msgs["type"].tolist()
    prices = msgs["price"].tolist()
    sizes = msgs["size"].astype(np.float64).tolist()
    buys = (msgs["direction"] == -1).tolist()
    bid_p, ask_p = day.bid_price, day.ask_price
    bid_s = day.bid_size.astype(np.float64)
    ask_s = day.ask_size.astype(np.float64)
    best_bid, best_ask = bid_p[:, 0].tolist(), ask_p[:, 0].tolist()
    # changed[i]: row i differs from row i - 1 (row 0 always "changed"); NaN == NaN here.
    rows = np.concatenate(
        [np.nan_to_num(a, nan=-1.0) for a in (bid_p, ask_p)] + [bid_s, ask_s], axis=1
    )
    changed = np.ones(n, dtype=bool)
    changed[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    changed_list = changed.tolist()

    executions = frozenset(EXECUTION_TYPES)
    on_trade, on_book = estimator.on_trade, estimator.on_l2_book
    halted = False
    pending = False  # a row differing from the last book fed has been seen
    last_fed_row: int | None = None
    last_book_ms: int | None = None
    next_grid = -(-t_ms[0] // every) * every  # first grid point >= the first message time
    for i in range(n):
        t = t_ms[i]
        while t > next_grid:
            stats.samples += 1
            yield next_grid, estimator.params()
            next_grid += every
        kind = types[i]
        if kind in executions:
            stats.n_executions += 1
            if halted:
                stats.trades_halted += 1
            else:
                try:
                    on_trade(prices[i], sizes[i], buys[i], t)
                    stats.trades_fed += 1
                except InvalidInputError as exc:
                    stats.trades_rejected += 1
                    stats.first_rejection = stats.first_rejection or f"message {i}: {exc}"
        elif kind == CROSS_TYPE:
            stats.crosses += 1
        elif kind == HALT_TYPE:
            stats.halt_messages += 1
            flag = round(prices[i] * PRICE_SCALE)
            if flag == HALT_FLAG:
                halted = True
            elif flag == RESUME_FLAG:
                halted = False

        pending = pending or changed_list[i]
        if not pending or (last_fed_row is not None and _same_row(rows, last_fed_row, i)):
            pending = False
            stats.books_unchanged += 1
        elif halted:
            stats.books_halted += 1
        elif not (best_bid[i] == best_bid[i] and best_ask[i] == best_ask[i]):  # NaN check
            stats.books_empty_side += 1
        elif best_ask[i] <= best_bid[i]:
            stats.books_crossed += 1
        elif last_book_ms is not None and t - last_book_ms < interval:
            stats.books_throttled += 1
        else:
            try:
                on_book(bid_p[i], bid_s[i], ask_p[i], ask_s[i], t)
                stats.books_fed += 1
                pending, last_fed_row, last_book_ms = False, i, t
            except InvalidInputError as exc:
                stats.books_rejected += 1
                stats.first_rejection = stats.first_rejection or f"message {i}: {exc}"
        stats.n_messages += 1
        if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
            progress(i + 1, n)
    if t_ms[-1] == next_grid:
        stats.samples += 1
        yield next_grid, estimator.params()
    if progress is not None:
        progress(n, n)


def day_until(day: LobsterDay, end_time_s: float) -> LobsterDay:
    """The messages (and their book rows) with ``time_s < end_time_s``, as a new LobsterDay."""
    n = int(np.searchsorted(day.messages["time_s"], end_time_s, side="left"))
    return replace(
        day,
        messages=day.messages[:n],
        ask_price=day.ask_price[:n],
        ask_size=day.ask_size[:n],
        bid_price=day.bid_price[:n],
        bid_size=day.bid_size[:n],
    )


def _same_row(rows: np.ndarray, a: int, b: int) -> bool:
    return bool(np.array_equal(rows[a], rows[b]))


def replay(
    day: LobsterDay,
    estimator: Estimator,
    *,
    book_interval_ms: int = DEFAULT_BOOK_INTERVAL_MS,
    every_ms: int = DEFAULT_EVERY_MS,
    progress: Callable[[int, int], None] | None = None,
    stats: ReplayStats | None = None,
) -> Iterator[MarketParams]:
    """Feed ``day`` to ``estimator`` in time order, yielding ``params()`` every ``every_ms``.

    Args:
        day: a loaded LOBSTER day.
        estimator: anything with ``on_trade``, ``on_l2_book`` and ``params``.
        book_interval_ms: minimum ms between two books fed (integer >= 0; 0 = every change).
        every_ms: sampling interval in ms of market time (integer >= 1); grid ``k * every_ms``.
        progress: called as ``progress(messages_done, messages_total)``.
        stats: filled in place with the counts of what was and was not fed.

    Raises:
        InvalidInputError: a bad ``book_interval_ms`` or ``every_ms`` (on the first ``next``).
    """
    counts = ReplayStats() if stats is None else stats
    for _, params in replay_samples(day, estimator, book_interval_ms, every_ms, progress, counts):
        yield params


def replay_frame(
    day: LobsterDay,
    estimator: Estimator,
    *,
    book_interval_ms: int = DEFAULT_BOOK_INTERVAL_MS,
    every_ms: int = DEFAULT_EVERY_MS,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """:func:`replay` collected into a DataFrame, one row per sample.

    Columns: ``time_ms`` (the grid time, ms after midnight) and every :class:`MarketParams`
    field. The :class:`ReplayStats` are in ``frame.attrs["replay_stats"]`` (a dict).
    """
    stats = ReplayStats()
    records = [
        {"time_ms": g, **p.to_dict()}
        for g, p in replay_samples(day, estimator, book_interval_ms, every_ms, progress, stats)
    ]
    columns = ["time_ms", *MarketParams.__dataclass_fields__]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame.attrs["replay_stats"] = stats.to_dict()
    return frame
