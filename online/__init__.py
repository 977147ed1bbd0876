"""Production online estimators: O(1) per event, numpy/scipy only (never pymc)."""

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.covariance import ParameterCovariance, ParameterCovarianceConfig
from online.errors import InvalidInputError, StateDictError
from online.ewma import (
    HybridEWMA,
    HybridEWMAConfig,
    TickEWMA,
    TickEWMAConfig,
    TickEWMAVariance,
    TickEWMAVarianceConfig,
    tick_alpha,
)
from online.gamma_posterior import GammaPosterior
from online.heavy_tail import HeavyTailConfig, HeavyTailDetector
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig
from online.soft_jump import SoftJumpClassifier, SoftJumpConfig

__all__ = [
    "ConjugateBayesianKappa",
    "ConjugateKappaConfig",
    "GammaPosterior",
    "HeavyTailConfig",
    "HeavyTailDetector",
    "HierarchicalKappa",
    "HierarchicalKappaConfig",
    "HybridEWMA",
    "HybridEWMAConfig",
    "InvalidInputError",
    "ParameterCovariance",
    "ParameterCovarianceConfig",
    "SoftJumpClassifier",
    "SoftJumpConfig",
    "StateDictError",
    "TickEWMA",
    "TickEWMAConfig",
    "TickEWMAVariance",
    "TickEWMAVarianceConfig",
    "tick_alpha",
]
