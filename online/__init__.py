"""Production online estimators: O(1) per event, numpy/scipy only (never pymc)."""

from online.conjugate_kappa import ConjugateBayesianKappa, ConjugateKappaConfig
from online.errors import InvalidInputError, StateDictError
from online.gamma_posterior import GammaPosterior
from online.heavy_tail import HeavyTailConfig, HeavyTailDetector
from online.hierarchical_kappa import HierarchicalKappa, HierarchicalKappaConfig

__all__ = [
    "ConjugateBayesianKappa",
    "ConjugateKappaConfig",
    "GammaPosterior",
    "HeavyTailConfig",
    "HeavyTailDetector",
    "HierarchicalKappa",
    "HierarchicalKappaConfig",
    "InvalidInputError",
    "StateDictError",
]
