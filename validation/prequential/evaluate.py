"""Score a probe's records (:mod:`.probe`) under their predictives (:mod:`.predictive`).

Example::

    >>> import numpy as np
    >>> from online.unified import UnifiedParameterEstimator
    >>> from validation.market import MarketSpec, feed_session, simulate_market
    >>> from validation.prequential.probe import PrequentialProbe
    >>> probe = PrequentialProbe(UnifiedParameterEstimator())
    >>> _ = feed_session(simulate_market(MarketSpec(duration_s=300.0),
    ...                                  np.random.default_rng(0)), probe, [])
    >>> s = score_all(probe.records(), np.random.default_rng(1))
    >>> sorted(s)
    ['bucket_return', 'trade_distance']
"""

from __future__ import annotations

import numpy as np

from validation.prequential.predictive import Scores, lomax_scores, mixture_scores

QUANTITIES = ("trade_distance", "bucket_return", "own_fill_distance")
MIN_RECORDS = 20
"""A quantity with fewer scored observations is left out."""


def distance_scores(table: np.ndarray, rng: np.random.Generator) -> Scores:
    """Lomax(c=a, scale=b) scores of the distance cells of a ``trades`` / ``own_fills`` table."""
    return lomax_scores(table["lo"], table["hi"], table["a"], table["b"], rng)


def return_scores(table: np.ndarray, rng: np.random.Generator) -> Scores:
    """Mixture scores of a ``returns`` table: sd_d = sigma sqrt(dt), sd_j^2 = sd_d^2 + var_jump
    (the predictive of :mod:`.predictive`)."""
    sd_d = table["sigma"] * np.sqrt(table["dt_s"])
    sd_j = np.sqrt(sd_d**2 + table["var_jump"])
    return mixture_scores(table["lo"], table["hi"], sd_d, sd_j, table["pi"], rng)


def score_all(records: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, Scores]:
    """Scores per quantity with at least :data:`MIN_RECORDS` observations."""
    tables = {
        "trade_distance": (records["trades"], distance_scores),
        "bucket_return": (records["returns"], return_scores),
        "own_fill_distance": (records["own_fills"], distance_scores),
    }
    return {
        name: score(table, rng)
        for name, (table, score) in tables.items()
        if table.size >= MIN_RECORDS
    }


def times_of(records: dict[str, np.ndarray], quantity: str) -> np.ndarray:
    """Observation times (ms) of ``quantity``'s records."""
    key = {"trade_distance": "trades", "bucket_return": "returns", "own_fill_distance": "own_fills"}
    return records[key[quantity]]["time_ms"]
