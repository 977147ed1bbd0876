"""Feed a simulated :class:`~validation.market.simulate.MarketSession` to an estimator, event
by event, through ``on_l2_book`` / ``on_trade`` / ``on_own_fill``, and record what it emits.

The snapshot at checkpoint c reflects every event with ``t <= c`` and none after. After each
trade that closes a bucket the bucket's end time and ``last_jump_probability`` are recorded.

Example::

    >>> import numpy as np
    >>> from validation.market.simulate import MarketSpec, simulate_market
    >>> s = simulate_market(MarketSpec(duration_s=120.0), np.random.default_rng(1))
    >>> run = run_unified(s, [s.spec.start_ms + 60_000, s.end_ms])
    >>> len(run.params), run.kappa_sources[-1]
    (2, 'market_trades')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from online.market_params import MarketParams
from online.unified import UnifiedParameterEstimator
from validation.market.simulate import BOOK, TRADE, MarketSession


@dataclass(frozen=True)
class BucketRecord:
    """One closed bucket: its end time (ms) and P(jump | r) (None when not classified)."""

    end_ms: int
    p_jump: float | None


@dataclass(frozen=True)
class SessionRun:
    """What an estimator emitted on a session: ``params[i]`` and ``kappa_sources[i]`` at
    ``checkpoints_ms[i]``, and one :class:`BucketRecord` per closed bucket."""

    checkpoints_ms: tuple[int, ...]
    params: tuple[MarketParams, ...]
    kappa_sources: tuple[str, ...]
    buckets: tuple[BucketRecord, ...]


def feed_session(
    session: MarketSession, estimator: Any, checkpoints_ms: Sequence[int]
) -> SessionRun:
    """Replay ``session`` into ``estimator`` (an object with the unified estimator's handlers,
    ``params()``, ``kappa_source``, ``bucket_count`` and ``last_jump_probability``)."""
    cps = sorted(int(c) for c in checkpoints_ms)
    params: list[MarketParams] = []
    sources: list[str] = []
    buckets: list[BucketRecord] = []
    kinds, times = session.kinds.tolist(), session.times_ms.tolist()
    prices, sizes = session.prices.tolist(), session.sizes.tolist()
    buys, adverse = session.is_buy.tolist(), session.adverse_bps.tolist()
    rows = session.book_index.tolist()
    books = (session.bid_prices, session.bid_sizes, session.ask_prices, session.ask_sizes)
    k = 0

    def snapshot_until(t: int) -> None:
        nonlocal k
        while k < len(cps) and cps[k] < t:
            params.append(estimator.params())
            sources.append(estimator.kappa_source)
            k += 1

    for i, kind in enumerate(kinds):
        t = times[i]
        snapshot_until(t)
        if kind == BOOK:
            row = rows[i]
            estimator.on_l2_book(*(b[row] for b in books), t)
        elif kind == TRADE:
            before = estimator.bucket_count
            estimator.on_trade(prices[i], sizes[i], buys[i], t)
            if estimator.bucket_count != before:
                buckets.append(BucketRecord(t, estimator.last_jump_probability))
        else:
            move = adverse[i]
            estimator.on_own_fill(prices[i], sizes[i], buys[i], t, None if move != move else move)
    snapshot_until(np.iinfo(np.int64).max)
    return SessionRun(tuple(cps), tuple(params), tuple(sources), tuple(buckets))


def unified_candidate(
    factory: Callable[[], Any],
) -> Callable[[MarketSession, Sequence[int]], SessionRun]:
    """A ``"unified"`` candidate: a fresh ``factory()`` estimator fed each session."""

    def candidate(session: MarketSession, checkpoints_ms: Sequence[int]) -> SessionRun:
        return feed_session(session, factory(), checkpoints_ms)

    return candidate


run_unified = unified_candidate(UnifiedParameterEstimator)
"""The production candidate: ``UnifiedParameterEstimator()`` with the default flags."""
