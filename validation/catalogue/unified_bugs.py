"""Bugs of the unified estimator's wiring and emission, as ``"unified"`` candidates.

Each is the production :class:`online.unified.UnifiedParameterEstimator` with one method
changed (a subclass) or one flag switched, fed the simulated session by
:func:`validation.market.feed.unified_candidate`: the real code path with a single edit.
"""

from __future__ import annotations

import dataclasses
import math

from online.gamma_posterior import GammaPosterior
from online.market_params import EstimatorVersion, MarketParams
from online.unified import UnifiedEstimatorConfig, UnifiedParameterEstimator
from validation.market.feed import unified_candidate


def _vwap_returns() -> UnifiedParameterEstimator:
    version = dataclasses.replace(EstimatorVersion.all_enabled(), use_mid_returns=False)
    return UnifiedParameterEstimator(UnifiedEstimatorConfig(version=version))


class _PerBucketSigma(UnifiedParameterEstimator):
    """sigma_clean per bucket reported as if per second (no time conversion)."""

    def _sigmas(self) -> tuple[float, float]:
        clean, eff = self._bipower.sigma_clean, self._bipower.sigma_effective
        nan = float("nan")
        return (nan if clean is None else clean, nan if eff is None else eff)


class _VarianceAsUncertainty(UnifiedParameterEstimator):
    """kappa_uncertainty reported as the posterior variance instead of the sd."""

    def params(self) -> MarketParams:
        p = super().params()
        return dataclasses.replace(p, kappa_uncertainty=p.kappa_uncertainty**2)


class _MarketIntervalAlways(UnifiedParameterEstimator):
    """The 95% interval always from the market-trade posterior, also when own fills give the
    point value and sd."""

    def params(self) -> MarketParams:
        p = super().params()
        lo, hi = self._market.posterior.interval(0.95)
        return dataclasses.replace(p, kappa_95_lower=lo, kappa_95_upper=hi)


class _PhiOnMeanOnly(UnifiedParameterEstimator):
    """Adverse-selection factor applied to the mean only: posterior Gamma(a, b) reported with
    mean phi a / b but the sd and interval of the unscaled Gamma(a, b)."""

    def _kappa_posterior(self) -> tuple[GammaPosterior, str]:
        post, source = super()._kappa_posterior()
        if source != "own_fills":
            return post, source
        return self._own.posterior, source

    def params(self) -> MarketParams:
        p = super().params()
        if self.kappa_source != "own_fills":
            return p
        return dataclasses.replace(p, kappa=p.kappa * self._own.adverse_selection_factor)


class _SqrtIntensityTwice(UnifiedParameterEstimator):
    """The per-second variance multiplied by the bucket rate once more (rate counted twice)."""

    def _sigmas(self) -> tuple[float, float]:
        sigma, eff = super()._sigmas()
        lam = self._clock.intensity_per_s
        root = math.nan if lam is None else math.sqrt(lam)
        return sigma * root, eff * root


class _PerBucketJumpYardstick(UnifiedParameterEstimator):
    """Bucket returns classified against the per-bucket clean sd, whatever time they span."""

    def _jump_yardstick(self, span_ms: int) -> float | None:
        sigma = self._bipower.sigma_clean
        if sigma is None or sigma < self.config.soft_jump.sigma_floor:
            return None
        return sigma


class _ToxicityLabelSwap(UnifiedParameterEstimator):
    """toxicity_score from the other mixture component: the EWMA of P(diffusion | r)."""

    def params(self) -> MarketParams:
        p = super().params()
        return dataclasses.replace(p, toxicity_score=1.0 - p.toxicity_score)


vwap_returns = unified_candidate(_vwap_returns)
per_bucket_jump_yardstick = unified_candidate(_PerBucketJumpYardstick)
per_bucket_sigma = unified_candidate(_PerBucketSigma)
variance_as_uncertainty = unified_candidate(_VarianceAsUncertainty)
market_interval_always = unified_candidate(_MarketIntervalAlways)
phi_on_mean_only = unified_candidate(_PhiOnMeanOnly)
sqrt_intensity_twice = unified_candidate(_SqrtIntensityTwice)
toxicity_label_swap = unified_candidate(_ToxicityLabelSwap)
