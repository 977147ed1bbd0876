"""LOBSTER replay: ordering, throttling, sampling cadence and counts, checked with numpy."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from online.conjugate_kappa import ConjugateKappaConfig
from online.errors import InvalidInputError
from online.market_params import MarketParams
from online.unified import UnifiedParameterEstimator
from validation.data.lobster import MESSAGE_DTYPE, LobsterDay, load_lobster
from validation.data.replay import ReplayStats, day_until, replay, replay_frame, timestamps_ms
from validation.data.trade_distances import trade_distances

DATA = Path(__file__).resolve().parents[2] / "shared/data/lobster"
AAPL = DATA / "LOBSTER_SampleFile_AAPL_2012-06-21_1.zip"
NAN = math.nan


class Stub:
    """Records every call; params() reports the last event time and the event counts."""

    def __init__(self, reject_trade_at: int | None = None) -> None:
        self.calls: list[tuple] = []
        self.last_ms = -1
        self.reject_trade_at = reject_trade_at

    def on_trade(self, price: float, size: float, is_buy: bool, timestamp_ms: int) -> None:
        if timestamp_ms == self.reject_trade_at:
            raise InvalidInputError("price", price, "rejected by the stub")
        self.calls.append(("trade", timestamp_ms, price, size, is_buy))
        self.last_ms = timestamp_ms

    def on_l2_book(self, bid_prices, bid_sizes, ask_prices, ask_sizes, timestamp_ms) -> None:
        self.calls.append(
            (
                "book",
                timestamp_ms,
                np.array(bid_prices),
                np.array(bid_sizes),
                np.array(ask_prices),
                np.array(ask_sizes),
            )
        )
        self.last_ms = timestamp_ms

    def params(self) -> MarketParams:
        n = float(len(self.calls))
        return MarketParams(n, n, n, n, n, n, n, n, n, n, self.last_ms)


def make_day(rows: list[tuple], bids: list, asks: list) -> LobsterDay:
    """rows: (time_s, type, size, price, direction); bids/asks: level-1 (price, size) per row."""
    msgs = np.zeros(len(rows), dtype=MESSAGE_DTYPE)
    for i, (t, kind, size, price, direction) in enumerate(rows):
        msgs[i] = (t, kind, i, size, price, direction)
    bid = np.array(bids, dtype=np.float64).reshape(len(rows), 2)
    ask = np.array(asks, dtype=np.float64).reshape(len(rows), 2)
    return LobsterDay(
        ticker="TEST",
        date=dt.date(2012, 6, 21),
        levels=1,
        messages=msgs,
        ask_price=ask[:, :1].copy(),
        ask_size=ask[:, 1:].astype(np.int64),
        bid_price=bid[:, :1].copy(),
        bid_size=bid[:, 1:].astype(np.int64),
        source=Path("synthetic"),
    )


def synthetic_day() -> LobsterDay:
    rows = [
        (34200.000, 1, 100, 10.00, 1),  # 0 new bid
        (34200.0005, 1, 100, 10.02, -1),  # 1 new ask, same ms
        (34200.050, 4, 40, 10.02, -1),  # 2 execution of the ask: buyer-initiated
        (34200.150, 5, 7, 10.01, 1),  # 3 hidden execution vs a bid: seller-initiated, no change
        (34200.160, 1, 50, 10.01, 1),  # 4 new bid 10.01 (changed)
        (34200.200, 1, 50, 10.03, -1),  # 5 ask deeper: level 1 unchanged
        (34201.001, 1, 10, 10.02, 1),  # 6 bid at 10.02 = ask: locked (crossed)
        (34201.500, 3, 10, 10.02, 1),  # 7 deleted: best bid 10.01 with 40 left
        (34202.000, 7, 0, -1 / 10_000, 1),  # 8 halt
        (34202.100, 4, 5, 10.02, -1),  # 9 execution during the halt
        (34202.200, 7, 0, 1 / 10_000, 1),  # 10 resume
        (34202.300, 6, 200, 10.015, 1),  # 11 cross (auction print)
        (34202.400, 3, 50, 10.01, 1),  # 12 bid side empty
        (34203.000, 1, 20, 10.00, 1),  # 13 new bid
    ]
    bids = [(10.00, 100)] * 4 + [(10.01, 50)] * 2 + [(10.02, 10)] + [(10.01, 40)] * 5
    bids += [(NAN, 0), (10.00, 20)]
    asks = [(NAN, 0), (10.02, 100), (10.02, 60), (10.02, 60), (10.02, 60), (10.02, 60)]
    asks += [(10.02, 60)] * 8
    return make_day(rows, bids, asks)


def test_synthetic_every_event_and_skip_reason() -> None:
    day = synthetic_day()
    stub, stats = Stub(), ReplayStats()
    list(replay(day, stub, book_interval_ms=0, every_ms=1000, stats=stats))
    kinds = [(c[0], c[1]) for c in stub.calls]
    assert kinds == [
        ("book", 34200000),  # row 1 (row 0 has no ask)
        ("trade", 34200050),  # message 2 BEFORE the book it produced (row 2)
        ("book", 34200050),
        ("trade", 34200150),  # hidden execution: the book did not change (row 3 not fed)
        ("book", 34200160),  # row 4
        ("book", 34201500),  # row 7 (row 6 locked)
        ("book", 34203000),  # row 13 (12 has no bid; 8-11 equal row 7; 9 halted)
    ]
    trade = stub.calls[1]
    assert trade[2:] == (10.02, 40.0, True)  # direction -1 (resting sell) = buyer-initiated
    assert stub.calls[3][2:] == (10.01, 7.0, False)
    np.testing.assert_array_equal(stub.calls[2][5], [60.0])  # the book after the execution
    assert stats.to_dict() == {
        "n_messages": 14,
        "n_executions": 3,
        "trades_fed": 2,
        "trades_halted": 1,
        "trades_rejected": 0,
        "crosses": 1,
        "halt_messages": 2,
        "books_fed": 5,
        "books_unchanged": 6,  # rows 3, 5, 8, 9, 10, 11
        "books_throttled": 0,
        "books_empty_side": 2,  # rows 0 and 12
        "books_crossed": 1,  # row 6
        "books_halted": 0,
        "books_rejected": 0,
        "samples": 4,  # grid 34200000 (first message time) to 34203000 (last message time)
        "first_rejection": None,
    }
    book_outcomes = ("fed", "unchanged", "empty_side", "crossed", "throttled", "halted")
    assert sum(getattr(stats, f"books_{k}") for k in book_outcomes) == len(day)


def test_halted_book_change_is_withheld_and_counted() -> None:
    rows = [
        (1.0, 1, 1, 10.0, 1),
        (2.0, 7, 0, -1e-4, 1),
        (3.0, 1, 5, 10.0, 1),  # book changes during the halt
        (4.0, 7, 0, 1e-4, 1),  # resume: the pending change is fed now
    ]
    bids = [(10.0, 1), (10.0, 1), (10.0, 6), (10.0, 6)]
    asks = [(10.1, 1)] * 4
    stub, stats = Stub(), ReplayStats()
    list(replay(make_day(rows, bids, asks), stub, book_interval_ms=0, stats=stats))
    assert [(c[0], c[1]) for c in stub.calls] == [("book", 1000), ("book", 4000)]
    assert (stats.books_halted, stats.books_unchanged) == (1, 1)


def test_throttle_feeds_the_current_row_after_the_interval() -> None:
    times = [0.000, 0.030, 0.060, 0.090, 0.120, 0.500, 0.520]
    rows = [(34200 + t, 1, 1, 10.0, 1) for t in times]
    bids = [(10.0, 1 + i) for i in range(len(times))]
    asks = [(10.1, 1)] * len(times)
    stub, stats = Stub(), ReplayStats()
    list(replay(make_day(rows, bids, asks), stub, book_interval_ms=100, stats=stats))
    fed = [(c[1], float(c[3][0])) for c in stub.calls]
    # rows 1-3 are withheld (< 100 ms); row 4 at +120 ms is fed as it is; row 6 is +20 ms
    assert fed == [(34200000, 1.0), (34200120, 5.0), (34200500, 6.0)]
    assert (stats.books_fed, stats.books_throttled) == (3, 4)


def test_rejected_event_is_counted_and_replay_continues() -> None:
    day = synthetic_day()
    stub, stats = Stub(reject_trade_at=34200050), ReplayStats()
    list(replay(day, stub, book_interval_ms=0, stats=stats))
    assert (stats.trades_rejected, stats.trades_fed) == (1, 1)
    assert "message 2" in stats.first_rejection and "rejected by the stub" in stats.first_rejection


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"every_ms": 0}, "every_ms"),
        ({"every_ms": 1.5}, "every_ms"),
        ({"book_interval_ms": -1}, "book_interval_ms"),
        ({"book_interval_ms": True}, "book_interval_ms"),
    ],
)
def test_bad_arguments(kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        list(replay(synthetic_day(), Stub(), **kwargs))
    assert info.value.field == field


def test_timestamps_are_floor_ms() -> None:
    times = [34200.0, 34200.0009999, 34200.001, 34200.4567891, 57599.999999]
    day = make_day([(t, 1, 1, 10.0, 1) for t in times], [(10.0, 1)] * 5, [(10.1, 1)] * 5)
    np.testing.assert_array_equal(
        timestamps_ms(day), [34200000, 34200000, 34200001, 34200456, 57599999]
    )


# ---------------------------------------------------------------- real data
needs_aapl = pytest.mark.skipif(not AAPL.exists(), reason=f"LOBSTER sample not found at {AAPL}")


@pytest.fixture(scope="module")
def aapl():
    return load_lobster(AAPL)


def _valid_rows(day: LobsterDay) -> np.ndarray:
    a, b = day.ask_price[:, 0], day.bid_price[:, 0]
    return ~np.isnan(a) & ~np.isnan(b) & (a > b)


@needs_aapl
def test_aapl_counts_match_numpy(aapl) -> None:
    stats = ReplayStats()
    list(replay(aapl, Stub(), book_interval_ms=0, every_ms=60_000, stats=stats))
    types = aapl.messages["type"]
    assert stats.n_messages == len(aapl)
    assert stats.trades_fed == np.count_nonzero((types == 4) | (types == 5))
    assert stats.trades_halted == 0 and np.count_nonzero(types == 7) == 0
    # every valid row differing from the previous valid row is fed (vectorised, NaN-aware)
    valid = _valid_rows(aapl)
    cols = [aapl.bid_price, aapl.ask_price, aapl.bid_size, aapl.ask_size]
    book = np.column_stack(cols)[valid]
    same = (book[1:] == book[:-1]) | (np.isnan(book[1:]) & np.isnan(book[:-1]))
    assert stats.books_fed == 1 + np.count_nonzero(~same.all(axis=1))
    assert stats.books_crossed + stats.books_empty_side == np.count_nonzero(~valid)
    # cadence: one sample per minute boundary between the first and the last message
    t = timestamps_ms(aapl)
    grid = np.arange(-(-t[0] // 60_000) * 60_000, t[-1] + 1, 60_000)
    assert stats.samples == len(grid)


@needs_aapl
def test_aapl_trades_see_the_book_before_them(aapl) -> None:
    day = day_until(aapl, aapl.messages["time_s"][0] + 1800.0)
    stub = Stub()
    list(replay(day, stub, book_interval_ms=0))
    seen = []  # (bid, ask) of the last book fed, at every trade
    last = (NAN, NAN)
    for call in stub.calls:
        if call[0] == "book":
            last = (float(call[2][0]), float(call[4][0]))
        else:
            seen.append(last)
    idx = np.flatnonzero(np.isin(day.messages["type"], (4, 5)))
    assert idx[0] > 0 and _valid_rows(day)[idx - 1].all()
    prior = np.column_stack([day.bid_price[idx - 1, 0], day.ask_price[idx - 1, 0]])
    np.testing.assert_array_equal(np.array(seen), prior)
    # the check can fail: the book AFTER an execution differs from the one before it often
    after = np.column_stack([day.bid_price[idx, 0], day.ask_price[idx, 0]])
    assert np.count_nonzero((after != prior).any(axis=1)) > 0.05 * len(idx)


@needs_aapl
def test_aapl_sampling_reports_state_as_of_each_grid_point(aapl) -> None:
    day = day_until(aapl, aapl.messages["time_s"][0] + 600.0)
    frame = replay_frame(day, Stub(), book_interval_ms=100, every_ms=250)
    t = timestamps_ms(day)
    grid = np.arange(-(-t[0] // 250) * 250, t[-1] + 1, 250)
    np.testing.assert_array_equal(frame["time_ms"], grid)
    # the stub's last event time is the last FED event at or before the grid point
    assert (frame["timestamp_ms"] <= frame["time_ms"]).all()
    assert (np.diff(frame["timestamp_ms"]) >= 0).all()
    stats = frame.attrs["replay_stats"]
    assert stats["samples"] == len(grid)
    assert stats["books_throttled"] > 0


@needs_aapl
def test_aapl_unified_market_kappa_equals_closed_form(aapl) -> None:
    """V2 market kappa = Gamma(a0 + n, b0 + sum max(d, 1e-5)) over the 5-min window."""
    day = day_until(aapl, aapl.messages["time_s"][0] + 900.0)
    est = UnifiedParameterEstimator()
    frame = replay_frame(day, est, book_interval_ms=0, every_ms=5000)
    td = trade_distances(day)
    assert td.n_kept == td.n_executions
    cfg = ConjugateKappaConfig()
    d = np.maximum(td.distance, cfg.min_distance)
    expected = []
    for now in frame["timestamp_ms"].to_numpy():
        window = (td.time_ms > now - cfg.window_ms) & (td.time_ms <= now)
        n = np.count_nonzero(window)
        expected.append((cfg.prior_alpha + n) / (cfg.prior_beta + d[window].sum()))
    np.testing.assert_allclose(frame["kappa"], expected, rtol=1e-9)
    assert est.kappa_source == "market_trades"
    assert frame.attrs["replay_stats"]["trades_fed"] == td.n_executions
