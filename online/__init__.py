"""Production online estimators: O(1) per event, numpy/scipy only (never pymc).

The Prometheus exporter (:mod:`online.metrics`) is the one module that also imports
``prometheus_client``; it is not imported here, so ``import online`` stays numpy/scipy only.
"""

from online.bipower import BipowerConfig, MultiScaleBipowerEstimator
from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.covariance import ParameterCovariance, ParameterCovarianceConfig
from online.errors import InvalidInputError, StateDictError
from online.ewma import (
    HybridEWMA,
    HybridEWMAConfig,
    NormalisedTickEWMA,
    NormalisedTickEWMAConfig,
    TickEWMA,
    TickEWMAConfig,
    TickEWMAVariance,
    TickEWMAVarianceConfig,
    tick_alpha,
)
from online.gamma_posterior import GammaPosterior
from online.glft import glft_half_spread, reservation_shift
from online.heavy_tail import HeavyTailConfig, HeavyTailDetector
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig
from online.l2_kappa import BookFit, L2KappaConfig, MarketKappaFromL2, fit_side
from online.legacy import (
    BinaryJumpClassifier,
    BinaryJumpConfig,
    LinearBlendKappa,
    LinearBlendKappaConfig,
    OneSecondEWMAConfig,
    OneSecondEWMAVariance,
    VolumeWeightedKappa,
    VolumeWeightedKappaConfig,
)
from online.market_params import EstimatorVersion, MarketParams
from online.microprice import MicropriceConfig, MicropriceEstimator
from online.soft_jump import SoftJumpClassifier, SoftJumpConfig
from online.stochastic_vol import StochasticVolConfig, StochasticVolParams
from online.unified import UnifiedEstimatorConfig, UnifiedParameterEstimator
from online.volume_clock import VolumeBucket, VolumeClock, VolumeClockConfig

__all__ = [
    "BinaryJumpClassifier",
    "BinaryJumpConfig",
    "BipowerConfig",
    "BookFit",
    "ConjugateBayesianKappa",
    "ConjugateKappaConfig",
    "EstimatorVersion",
    "GammaPosterior",
    "HeavyTailConfig",
    "HeavyTailDetector",
    "HierarchicalKappa",
    "HierarchicalKappaConfig",
    "HybridEWMA",
    "HybridEWMAConfig",
    "InvalidInputError",
    "L2KappaConfig",
    "LinearBlendKappa",
    "LinearBlendKappaConfig",
    "MarketKappaFromL2",
    "MarketParams",
    "MicropriceConfig",
    "MicropriceEstimator",
    "MultiScaleBipowerEstimator",
    "NormalisedTickEWMA",
    "NormalisedTickEWMAConfig",
    "OneSecondEWMAConfig",
    "OneSecondEWMAVariance",
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
    "UnifiedEstimatorConfig",
    "UnifiedParameterEstimator",
    "VolumeBucket",
    "VolumeClock",
    "VolumeClockConfig",
    "VolumeWeightedKappa",
    "VolumeWeightedKappaConfig",
    "fit_side",
    "glft_half_spread",
    "reservation_shift",
    "tick_alpha",
]
