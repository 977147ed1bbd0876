"""Calibration audits on real market data (LOBSTER archives read from a caller-given directory).

- :mod:`.market_kappa`: :func:`audit_market_kappa`, online market-trade kappa vs MCMC and
  posterior predictive checks of the Exponential and the zero-inflated offset models.
- :mod:`.ppc`: the posterior predictive check machinery.
- :mod:`.l2_kappa`: :func:`audit_l2_kappa`, the online L2-book kappa's per-side fits vs
  ``scipy.stats.linregress`` on the 5- and 10-level books, with how well exponential depth fits.
- :mod:`.sp500_jumps`: :func:`audit_sp500_jumps`, the online jump classifier vs the PyMC
  mixture on S&P 500 daily log returns (shipped by the ``arch`` package).

These checks run on data, not on a seeded scenario with a swappable candidate, so they are not
registered as ``CheckSpec`` entries.
"""

from __future__ import annotations

from validation.realdata.l2_kappa import ARCHIVES as L2_ARCHIVES
from validation.realdata.l2_kappa import audit_l2_kappa, l2_archive
from validation.realdata.market_kappa import TICKERS, audit_market_kappa
from validation.realdata.ppc import (
    PPP_THRESHOLD,
    STATISTICS,
    PpcResult,
    exponential_ppc,
    measure_false_alarm_rate,
    offset_ppc,
)
from validation.realdata.sp500_jumps import audit_sp500_jumps, sp500_log_returns

__all__ = [
    "L2_ARCHIVES",
    "PPP_THRESHOLD",
    "STATISTICS",
    "TICKERS",
    "PpcResult",
    "audit_l2_kappa",
    "audit_market_kappa",
    "audit_sp500_jumps",
    "exponential_ppc",
    "l2_archive",
    "measure_false_alarm_rate",
    "offset_ppc",
    "sp500_log_returns",
]
