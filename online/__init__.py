"""Production online estimators: O(1) per event, numpy/scipy only (never pymc)."""

from online.bipower import BipowerConfig, MultiScaleBipowerEstimator
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
from online.l2_kappa import BookFit, L2KappaConfig, MarketKappaFromL2, fit_side
from online.microprice import MicropriceConfig, MicropriceEstimator
from online.soft_jump import SoftJumpClassifier, SoftJumpConfig
from online.stochastic_vol import StochasticVolConfig, StochasticVolParams
from online.volume_clock import VolumeBucket, VolumeClock, VolumeClockConfig

__all__ = [
    "BipowerConfig",
    "BookFit",
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
    "L2KappaConfig",
    "MarketKappaFromL2",
    "MicropriceConfig",
    "MicropriceEstimator",
    "MultiScaleBipowerEstimator",
    "ParameterCovariance",
    "ParameterCovarianceConfig",
    "SoftJumpClassifier",
    "SoftJumpConfig",
    "StateDictError",
    "StochasticVolConfig",
    "StochasticVolParams",
    "TickEWMA",
    "TickEWMAConfig",
    "TickEWMAVariance",
    "TickEWMAVarianceConfig",
    "VolumeBucket",
    "VolumeClock",
    "VolumeClockConfig",
    "fit_side",
    "tick_alpha",
]
