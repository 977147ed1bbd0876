"""A seeded generative market with known truth (:mod:`.simulate`) and the replay of its event
stream through an estimator with the unified estimator's handlers (:mod:`.feed`)."""

from validation.market.feed import (
    BucketRecord,
    SessionRun,
    feed_session,
    run_unified,
    unified_candidate,
)
from validation.market.simulate import (
    BOOK,
    OWN_FILL,
    TRADE,
    MarketSession,
    MarketSpec,
    MarketTruth,
    simulate_market,
)

__all__ = [
    "BOOK",
    "OWN_FILL",
    "TRADE",
    "BucketRecord",
    "MarketSession",
    "MarketSpec",
    "MarketTruth",
    "SessionRun",
    "feed_session",
    "run_unified",
    "simulate_market",
    "unified_candidate",
]
