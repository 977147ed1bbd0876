"""Real market data: LOBSTER loader and market-trade distances from the mid.

- :mod:`.lobster`: :func:`load_lobster` reads a LOBSTER zip archive into a :class:`LobsterDay`.
- :mod:`.trade_distances`: :func:`trade_distances` gives |trade price - mid| / mid of every
  execution against the quote prevailing before it.

The data themselves are not part of the repository; they are read from a directory given by
the caller (tests use ``LOBSTER_DATA_DIR``).
"""

from __future__ import annotations

from validation.data.lobster import LobsterDay, LobsterFormatError, find_archives, load_lobster
from validation.data.trade_distances import TradeDistances, trade_distances

__all__ = [
    "LobsterDay",
    "LobsterFormatError",
    "TradeDistances",
    "find_archives",
    "load_lobster",
    "trade_distances",
]
