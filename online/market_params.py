"""The parameter snapshot handed to the quoting engine, and the estimator feature flags.

:class:`MarketParams` is one snapshot of every estimated market parameter. Units:

* ``sigma``, ``sigma_effective``: volatility of the log price per sqrt(second). The volume
  clock's estimators work per bucket; a per-bucket sigma is converted with the bucket arrival
  intensity lambda (buckets per second): ``sigma_s = sigma_bucket * sqrt(lambda)`` (variance
  adds over the lambda buckets of one second).
* ``kappa``: fill-intensity decay in 1 / (fraction of mid) (kappa = 2500: mean distance 4 bp);
  ``kappa_uncertainty`` is the posterior standard deviation of kappa and
  ``kappa_95_lower`` / ``kappa_95_upper`` the exact equal-tailed 95% Gamma credible interval,
  in the same unit.
* ``microprice``: dollars (the price unit of the book).
* ``jump_ratio``: realised / bipower variance (dimensionless, 1 without jumps).
* ``toxicity_score``: EWMA of P(jump) per bucket, in [0, 1].
* ``param_correlation``: correlation of the (kappa, sigma) point estimates, in [-1, 1].
* ``timestamp_ms``: integer ms of the last event the estimator accepted.

A field that cannot be estimated yet (no data, too few buckets, feature disabled) is NaN,
never a placeholder number.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from online.errors import InvalidInputError


@dataclass(frozen=True)
class MarketParams:
    """Snapshot of the estimated market parameters (units in the module docstring).

    Attributes:
        sigma: clean (bipower) volatility, log price per sqrt(s); NaN before it is ready.
        sigma_effective: clean/total blend of the bipower estimator, per sqrt(s); NaN before.
        kappa: fill-intensity decay, 1 / (fraction of mid).
        microprice: imbalance-adjusted mid (dollars); NaN before the first book.
        jump_ratio: RV / BV; NaN before the bipower estimator is ready.
        kappa_uncertainty: posterior sd of kappa, 1 / (fraction of mid).
        toxicity_score: EWMA of P(jump), in [0, 1]; NaN before it is reported.
        param_correlation: corr(kappa, sigma) in [-1, 1]; NaN before it is valid or when
            the covariance feature is disabled.
        kappa_95_lower, kappa_95_upper: exact 95% equal-tailed Gamma credible interval.
        timestamp_ms: last accepted event time (ms); -1 before any event.
    """

    sigma: float
    sigma_effective: float
    kappa: float
    microprice: float
    jump_ratio: float
    kappa_uncertainty: float
    toxicity_score: float
    param_correlation: float
    kappa_95_lower: float
    kappa_95_upper: float
    timestamp_ms: int

    def to_dict(self) -> dict[str, float | int]:
        """The fields as a plain dict (NaN stays NaN)."""
        return asdict(self)

    def is_complete(self) -> bool:
        """True when every float field is finite (the estimator is warm)."""
        return all(math.isfinite(v) for k, v in self.to_dict().items() if k != "timestamp_ms")


@dataclass(frozen=True)
class EstimatorVersion:
    """Feature flags choosing, per component, the V2 estimator (True) or the V1 path (False).

    Attributes:
        use_v2_kappa: count-based conjugate market kappa (False: volume-weighted counts).
        use_hierarchical_kappa: hierarchical own-fill kappa (False: linear blend).
        use_soft_jumps: soft mixture P(jump) (False: binary 3-sigma classification).
        use_tick_ewma: bipower tick-EWMA sigma scaled by the bucket intensity (False: EWMA
            variance that assumes 1 s between buckets).
        use_param_covariance: (kappa, sigma) covariance (False: param_correlation NaN).
        use_mid_returns: bucket returns from the book mid at bucket close, ln(m_k / m_{k-1})
            (False: the V1 consecutive-VWAP returns ln(vwap_k / vwap_{k-1}), whose variance
            is about 2/3 of the mid's when a bucket holds several trades, plus bid-ask bounce).
    """

    use_v2_kappa: bool = True
    use_hierarchical_kappa: bool = True
    use_soft_jumps: bool = True
    use_tick_ewma: bool = True
    use_param_covariance: bool = True
    use_mid_returns: bool = True

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, bool):
                raise InvalidInputError(name, value, "must be a bool")

    @classmethod
    def all_enabled(cls) -> EstimatorVersion:
        """Every V2 component (the default everywhere)."""
        return cls(True, True, True, True, True, True)

    @classmethod
    def legacy_v1(cls) -> EstimatorVersion:
        """Every V1 path (all flags False)."""
        return cls(False, False, False, False, False, False)
